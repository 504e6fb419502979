// Importing this module registers FactorizedDense and FactorizedConv2D with tf.serialization,
// so tf.loadLayersModel can rebuild saved models that contain them.

export { FactorizedDense } from './factorized-dense.js';
export type { FactorizedDenseArgs } from './factorized-dense.js';
export { FactorizedConv2D } from './factorized-conv2d.js';
export type { FactorizedConv2DArgs } from './factorized-conv2d.js';
export { FactorizedLayer } from './factorized-layer.js';
export type { FactorWeights } from './factorized-layer.js';
export { DEFAULT_KERNEL_INITIALIZER } from './layer-args.js';
export type { FactorizationArgs, FactorizedLayerArgs, LayerArgs } from './layer-args.js';
export { factorizedConv2d, factorizedDense, layers } from './layers.js';
export { factorizedLayersOf, frobeniusDecayLoss } from './model-penalties.js';
export { frobeniusDecayTensor, weightDecayTensor } from './factor-penalties.js';
export { fileSystem } from './file-system.js';
export { factorizeModel } from './factorize-model.js';
export { DEFAULT_RANK_SCALE } from './factorize-options.js';
export type { FactorizeModelOptions, FactorizeProgress, ParameterAllocation } from './factorize-options.js';
export type {
  FactorizedLayerReport,
  FactorizeReport,
  FactorizeResult,
  FactorizeWarning,
  SkippedLayerReport,
  SkipReason,
} from './factorize-report.js';
export { collapseModel } from './collapse-model.js';
export { tfjsOps } from './tfjs-ops.js';
export {
  checkTrainingSupport,
  describeBackend,
  MissingBackendError,
  MissingKernelError,
  TRAINING_KERNELS_CHECKED,
} from './backend-check.js';
export type { BackendDescription, TrainingSupportOptions, TrainingSupportReport } from './backend-check.js';
export {
  ensureWasmConvFilterGradient,
  registerWasmConvTraining,
  unregisterWasmConvTraining,
} from './wasm-conv-training.js';
export type {
  ActivationIdentifier,
  ConstraintIdentifier,
  InitializerIdentifier,
  RegularizerIdentifier,
} from './tfjs-identifiers.js';
