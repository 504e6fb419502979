import {
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  findBackendFactory,
  getKernel,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { MissingBackendError } from './backend-check.js';
import { WASM_BACKEND } from './wasm-kernels/backend-kernels.js';
import { conv2dBackpropFilterWasm } from './wasm-kernels/conv2d-backprop-filter.js';
import { createConv2dBackpropInputWasm } from './wasm-kernels/conv2d-backprop-input.js';
import {
  depthwiseConv2dBackpropFilterWasm,
  depthwiseConv2dBackpropInputWasm,
} from './wasm-kernels/depthwise-conv2d-backprop.js';

const addedKernels: readonly (readonly [string, KernelFunc])[] = [
  [Conv2DBackpropFilter, conv2dBackpropFilterWasm],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dBackpropFilterWasm],
  [DepthwiseConv2dNativeBackpropInput, depthwiseConv2dBackpropInputWasm],
];

/** The wasm package's own Conv2DBackpropInput while ours replaces it, kept for NCHW and for restoring. */
let nativeBackpropInput: KernelConfig | undefined;
let replacementBackpropInput: KernelFunc | undefined;

/**
 * Registers the kernels that convolution training needs on the tfjs 'wasm' backend
 * (@tensorflow/tfjs-backend-wasm 4.22), so that `model.fit`, `tf.grads` and optimizers work
 * there for conv1d, conv2d, conv2dTranspose, separableConv2d and depthwiseConv2d layers:
 * - It adds Conv2DBackpropFilter (computed on the backend's XNNPACK convolution) and the two
 *   depthwise gradients DepthwiseConv2dNativeBackpropFilter/Input (typed-array loops), each
 *   only where the backend has no kernel of that name.
 * - It replaces the backend's Conv2DBackpropInput for NHWC data with one built on the XNNPACK
 *   convolution: 8–10× faster on 14×14 MNIST-sized layers at batch 64 and about as fast on
 *   tiny ones (8×8 input, batch 4), both measured in Node 20. NCHW data still goes to the
 *   original kernel.
 *
 * Returns the names of the kernels this call registered. A second call finds its kernels in
 * place, registers nothing and returns []. Throws MissingBackendError when the wasm backend
 * is not registered, that is when '@tensorflow/tfjs-backend-wasm' has not been imported:
 * registering before it would let the package's own Conv2DBackpropInput replace ours.
 */
export function registerWasmConvTraining(): string[] {
  if (!isWasmBackendRegistered()) {
    throw new MissingBackendError(
      WASM_BACKEND,
      "Import '@tensorflow/tfjs-backend-wasm' before calling registerWasmConvTraining().",
    );
  }

  const registered: string[] = [];

  for (const [kernelName, kernelFunc] of addedKernels) {
    if (findWasmKernel(kernelName) === undefined) {
      registerKernel({ kernelName, backendName: WASM_BACKEND, kernelFunc });
      registered.push(kernelName);
    }
  }

  const current = findWasmKernel(Conv2DBackpropInput);
  if (current !== undefined && current.kernelFunc !== replacementBackpropInput) {
    nativeBackpropInput = current;
    replacementBackpropInput = createConv2dBackpropInputWasm(current.kernelFunc);

    // NOTE: the original's setupFunc binds its wasm function when the backend initializes.
    // It is kept on the replacement so that the NCHW path works even when this runs before
    // tf.setBackend('wasm').
    unregisterKernel(Conv2DBackpropInput, WASM_BACKEND);
    registerKernel({
      kernelName: Conv2DBackpropInput,
      backendName: WASM_BACKEND,
      kernelFunc: replacementBackpropInput,
      setupFunc: current.setupFunc,
      disposeFunc: current.disposeFunc,
    });
    registered.push(Conv2DBackpropInput);
  }

  return registered;
}

/**
 * Registers only Conv2DBackpropFilter on the 'wasm' backend, when that backend is registered and
 * has no kernel of that name. FactorizedConv2D calls it on the wasm backend, so factorized
 * convolutions train there without the opt-in import. Kernels that plain layers use are left
 * alone. Returns whether this call registered the kernel.
 */
export function ensureWasmConvFilterGradient(): boolean {
  if (!isWasmBackendRegistered() || findWasmKernel(Conv2DBackpropFilter) !== undefined) {
    return false;
  }
  registerKernel({ kernelName: Conv2DBackpropFilter, backendName: WASM_BACKEND, kernelFunc: conv2dBackpropFilterWasm });
  return true;
}

/**
 * Undoes registerWasmConvTraining(): unregisters the kernels it added and puts the wasm
 * backend's own Conv2DBackpropInput back. Kernels registered by anyone else stay. Returns
 * the names of the kernels it removed or restored.
 */
export function unregisterWasmConvTraining(): string[] {
  const removed: string[] = [];

  for (const [kernelName, kernelFunc] of addedKernels) {
    if (findWasmKernel(kernelName)?.kernelFunc === kernelFunc) {
      unregisterKernel(kernelName, WASM_BACKEND);
      removed.push(kernelName);
    }
  }

  const current = findWasmKernel(Conv2DBackpropInput);
  if (current !== undefined && current.kernelFunc === replacementBackpropInput && nativeBackpropInput !== undefined) {
    unregisterKernel(Conv2DBackpropInput, WASM_BACKEND);
    registerKernel(nativeBackpropInput);
    removed.push(Conv2DBackpropInput);
  }
  nativeBackpropInput = undefined;
  replacementBackpropInput = undefined;

  return removed;
}

function isWasmBackendRegistered(): boolean {
  // NOTE: findBackendFactory's declared type omits undefined; it returns undefined (or null)
  // for an unknown name.
  const factory = findBackendFactory(WASM_BACKEND) as ReturnType<typeof findBackendFactory> | undefined | null;
  return factory != null;
}

function findWasmKernel(kernelName: string): KernelConfig | undefined {
  // NOTE: getKernel's declared type omits undefined, which it returns for a missing kernel.
  const config: KernelConfig | undefined = getKernel(kernelName, WASM_BACKEND);
  return config;
}
