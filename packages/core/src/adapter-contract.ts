import type { Factors } from './collapse.js';
import type { RegularizerResult } from './frobenius-decay.js';
import type { InitializerSpec } from './initializers.js';
import type { Matrix } from './matrix.js';
import type { FactorizationOptions } from './options.js';
import type { TensorOps } from './tensor-ops.js';

// The contract between core and a framework adapter. An adapter implements FactorizedAdapter
// once, and @factorized/adapter-testkit checks it against core on seeded inputs.
//
// Factor layouts, shared by every adapter:
// - A dense weight W is [inputSize, outputSize], the TensorFlow.js order, so a layer computes
//   y = x·W for a row vector x. W is trained as U·V or U·M·V with the left factor U
//   [inputSize, rank], the middle factor M [rank, rank] and the right factor V
//   [rank, outputSize]. Factors and weights cross the contract as core Matrices in this
//   layout, whatever the framework stores (brain.js, for example, stores the transposes).
// - A conv kernel [kh, kw, in, out] is factorized through the matrix that `ConvScheme`
//   (conv-layout.ts) defines: (in·kw) × (out·kh) for 'paper', (kh·kw·in) × out for
//   'pointwise'. Rows are again the input side, so U drives the first conv and V the second.
//   The contract below covers dense layers only.

/**
 * Precision of the framework's stored weights and arithmetic. The testkit derives its default
 * tolerance from it: 1e-5 relative for float32, 1e-12 for float64.
 */
export type AdapterPrecision = 'float32' | 'float64';

/** A value, or a promise of it, for frameworks whose reads or saves are asynchronous. */
export type MaybePromise<T> = T | Promise<T>;

/** Size and options of a layer that the testkit requests from an adapter. */
export interface LayerRequest {
  inputSize: number;
  outputSize: number;
  /** The shared options, passed through unchanged, invalid ones included. */
  options: FactorizationOptions;
}

/**
 * The framework's tensors behind core's TensorOps, so the testkit can compare each op, and
 * core's regularizer formulas run through them, with core's float64 `matrixOps`.
 */
export interface AdapterTensorOps<Tensor> {
  ops: TensorOps<Tensor>;
  /** Copies a matrix into a new tensor of the same shape. */
  fromMatrix: (matrix: Matrix) => Tensor;
  /** Copies a tensor into a matrix. A scalar becomes a 1×1 matrix. */
  toMatrix: (tensor: Tensor) => MaybePromise<Matrix>;
  /** Frees a tensor that `fromMatrix` or an op created. Omit it when the framework frees memory by itself. */
  dispose?: (tensor: Tensor) => void;
}

/**
 * The members a framework adapter exposes so one conformance suite can check it against core.
 *
 * `Layer` is the adapter's handle on one factorized dense layer: the layer itself, or a small
 * model around it when the framework saves and runs only models. `Tensor` is the framework's
 * tensor type, needed only for `tensorOps`.
 *
 * Every layer that `createLayer` builds is linear with no bias (or a zero bias), so its
 * output is x·W with W = U·V or U·M·V. Every function may return a promise, and the testkit
 * calls each one on the adapter object, so class methods work as well as plain functions.
 */
export interface FactorizedAdapter<Layer, Tensor = never> {
  /** Package name, such as '@factorized/tfjs', used in test titles and failure messages. */
  readonly name: string;
  readonly precision: AdapterPrecision;
  /**
   * The kernel initializer that the adapter's layers use when the options name none, usually
   * the framework's own dense default (glorotNormal in TensorFlow.js, glorotUniform in Keras).
   */
  readonly defaultKernelInitializer: InitializerSpec;

  /**
   * Builds a factorized dense layer of the requested size with core's `initializeFactors`, the
   * way a user of the framework would. Invalid options throw, or reject, with an error whose
   * message names the option and shows its value, as core's InvalidArgumentError does.
   */
  createLayer: (request: LayerRequest) => MaybePromise<Layer>;
  /** Returns copies of the layer's current factors in core's layout, as stored by the framework. */
  readFactors: (layer: Layer) => MaybePromise<Factors>;
  /** Returns the layer's effective kernel W [inputSize, outputSize], as the framework computes it. */
  collapse: (layer: Layer) => MaybePromise<Matrix>;
  /** Runs the layer on `inputs` [batch, inputSize] and returns its outputs [batch, outputSize]. */
  predict: (layer: Layer, inputs: Matrix) => MaybePromise<Matrix>;
  /**
   * Computes the Frobenius-decay penalty (λ/2)·‖U·V‖²_F (or ‖U·M·V‖²_F) and its gradients on
   * `factors` with the framework's own code path, the one training uses (autodiff, a custom
   * gradient or an explicit update), and returns them in core's layout.
   */
  frobeniusDecay: (factors: Factors, coefficient: number) => MaybePromise<RegularizerResult>;
  /** Computes the weight-decay penalty (λ/2)·Σ‖factor‖²_F and its gradients λ·factor as `frobeniusDecay` does. */
  weightDecay: (factors: Factors, coefficient: number) => MaybePromise<RegularizerResult>;
  /**
   * Saves the layer (or its model) with the framework's serialization, loads it back and
   * returns the loaded copy, which must hold the same factors and compute the same outputs
   * bit for bit.
   */
  saveAndLoad: (layer: Layer) => MaybePromise<Layer>;
  /** Frees the memory the layer holds. Omit it when the framework frees memory by itself. */
  dispose?: (layer: Layer) => MaybePromise<void>;
  /**
   * Returns the framework's count of live tensors (`tf.memory().numTensors` in TensorFlow.js),
   * so the testkit can check that no member leaks. Omit it when the framework keeps no count.
   */
  memory?: () => number;
  /** The framework's tensors behind core's TensorOps, when the adapter runs core's formulas on them. */
  tensorOps?: AdapterTensorOps<Tensor>;
}
