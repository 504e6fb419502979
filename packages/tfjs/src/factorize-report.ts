import type * as tf from '@tensorflow/tfjs';

/** A layer that factorizeModel replaced by its factorized twin. */
export interface FactorizedLayerReport {
  /**
   * Path of the layer: its name, prefixed by the names of the nested models that contain it,
   * joined by '/' ('encoder/dense_1'). The new layer has the same name.
   */
  layer: string;
  /** Class of the original layer, 'Dense' or 'Conv2D'. */
  className: string;
  /** Class of the new layer, 'factorized.FactorizedDense' or 'factorized.FactorizedConv2D'. */
  newClassName: string;
  rank: number;
  /** Rows of the factorized kernel matrix (input side; see core's convMatrixShape for conv kernels). */
  rows: number;
  /** Columns of the factorized kernel matrix (output side). */
  columns: number;
  /** Kernel and bias parameters of the original layer. */
  parametersBefore: number;
  /** Factor and bias parameters of the new layer. */
  parametersAfter: number;
  /**
   * ‖W − U·V‖_F / ‖W‖_F of the trained kernel W and the float32 factors stored in the new
   * layer, computed in float64; 0 for an all-zero kernel. With an exact SVD this is the
   * Eckart–Young optimum (Σ_{i>r} σ_i²)^½ / ‖W‖_F up to float32 rounding of the factors.
   */
  relativeError: number;
  /** The Frobenius-decay coefficient of the new layer. */
  frobeniusDecay: number;
}

/** Reason for which factorizeModel left a layer as it was. */
export type SkipReason =
  /** A Dense or Conv2D layer that the `layers` option (or `ranks` alone) did not select. */
  | 'not-selected'
  /** A layer of another class, custom layers and already factorized layers included. */
  | 'unsupported-type'
  /** A Dense or Conv2D layer with an option that has no factorized equivalent, such as a kernel constraint. */
  | 'unsupported-config'
  /** The rank the rule gives is at or above the break-even rank, so factorizing would not save parameters. */
  | 'break-even';

/** A layer that factorizeModel copied unchanged. */
export interface SkippedLayerReport {
  /** Path of the layer (see FactorizedLayerReport.layer). */
  layer: string;
  className: string;
  reason: SkipReason;
  /** The reason in words, with the numbers behind it. */
  detail: string;
}

/** Something a user should know about a factorized layer, such as a rank that saves no parameters. */
export interface FactorizeWarning {
  layer: string;
  message: string;
}

/** Account of what factorizeModel did, layer by layer. */
export interface FactorizeReport {
  /** The factorized layers, in the order of the model's layers (nested models depth first). */
  factorized: FactorizedLayerReport[];
  /** Every other layer except input layers, in the same order. */
  skipped: SkippedLayerReport[];
  warnings: FactorizeWarning[];
  /** model.countParams() of the original model. */
  parametersBefore: number;
  /** model.countParams() of the new model. */
  parametersAfter: number;
  /** parametersAfter / parametersBefore (1 for a model without weights). */
  parameterRatio: number;
}

/** The result of factorizeModel: a new model and the report. */
export interface FactorizeResult {
  model: tf.LayersModel;
  report: FactorizeReport;
}
