import {
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
} from '@tensorflow/tfjs';

/**
 * Training kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks and registerWasmConvTraining()
 * adds: the filter gradient of conv2d and both gradients of depthwiseConv2d.
 */
export const ADDED_WASM_KERNELS: readonly string[] = [
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
];

/** Kernels the wasm backend has but registerWasmConvTraining() replaces with faster ones. */
export const REPLACED_WASM_KERNELS: readonly string[] = [Conv2DBackpropInput];
