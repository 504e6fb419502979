import { ShapeMismatchError } from '@factorized/core';
import { getKernel } from '@tensorflow/tfjs';
import type {
  backend_util,
  DataType,
  KernelBackend,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';

/** Name under which @tensorflow/tfjs-backend-wasm registers its backend and kernels. */
export const WASM_BACKEND = 'wasm';

/**
 * The part of @tensorflow/tfjs-backend-wasm's BackendWasm (4.22) that the kernels here use,
 * declared structurally so that this package needs the wasm package's types only in tests.
 */
export interface WasmBackend extends KernelBackend {
  /** Allocates a tensor on the wasm heap and, when `values` is given, copies them into it. */
  makeOutput(
    shape: number[],
    dtype: DataType,
    memoryOffset?: number,
    values?: backend_util.BackendValues,
  ): TensorInfo;
}

/**
 * Runs a kernel of the wasm backend directly, bypassing the engine, as backend kernels do to
 * compose each other. The output is not tracked by the engine: release it with
 * `backend.disposeData` (or through an IntermediateTensors) unless it is returned.
 */
export function runWasmKernel(
  backend: KernelBackend,
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  // NOTE: getKernel's declared type omits undefined, but it returns undefined for a kernel
  // that was never registered.
  const config = getKernel(kernelName, WASM_BACKEND) as ReturnType<typeof getKernel> | undefined;

  if (config === undefined) {
    throw new Error(`Kernel '${kernelName}' not registered for backend '${WASM_BACKEND}'`);
  }

  const output = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(output)) {
    throw new Error(`Kernel '${kernelName}' returned ${output.length} outputs, expected one.`);
  }

  return output;
}

/**
 * Intermediate outputs of directly run kernels, released together once the composite kernel
 * has its result. Each output is released once, even when it shares data with another,
 * because kernels such as Reshape return their input's data with an extra reference.
 */
export class IntermediateTensors {
  private readonly backend: KernelBackend;
  private readonly tensors: TensorInfo[] = [];

  constructor(backend: KernelBackend) {
    this.backend = backend;
  }

  /** Runs a wasm kernel and records its output for release by `dispose()`. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const output = runWasmKernel(this.backend, kernelName, inputs, attrs);
    this.tensors.push(output);
    return output;
  }

  /** Runs a wasm kernel whose output becomes the composite kernel's result, so it is not recorded. */
  runOutput(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    return runWasmKernel(this.backend, kernelName, inputs, attrs);
  }

  /** Releases one reference to every recorded output. */
  dispose(): void {
    for (const tensor of this.tensors) {
      this.backend.disposeData(tensor.dataId);
    }
    this.tensors.length = 0;
  }
}

/**
 * A float32 tensor of zeros, the gradient when the sum that defines it is empty: XNNPACK's
 * convolution must not see a dimension of size 0.
 */
export function zerosOutput(backend: KernelBackend, shape: number[]): TensorInfo {
  return runWasmKernel(backend, 'Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/** Number of elements of a tensor of this shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** The four pads of a 2-D window operation, in input pixels. */
export interface Pads2d {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Explicit NHWC padding in the form tfjs's Conv2D attribute `pad` accepts. */
export function explicitPadding(pads: Pads2d): backend_util.ExplicitPadding {
  return [
    [0, 0],
    [pads.top, pads.bottom],
    [pads.left, pads.right],
    [0, 0],
  ];
}

/**
 * Throws ShapeMismatchError unless `dy` has the output shape of the convolution `convInfo`
 * describes. The tfjs ops check this before running a kernel; a direct `runKernel` call does not.
 */
export function checkOutputGradientShape(
  kernelName: string,
  dy: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): void {
  const expected = convInfo.outShape;
  if (dy.shape.length !== 4 || dy.shape.some((size, axis) => size !== expected[axis])) {
    throw new ShapeMismatchError(
      `${kernelName}: dy has shape [${dy.shape.join(', ')}], but the convolution of an input ` +
        `of shape [${convInfo.inShape.join(', ')}] with a filter of shape ` +
        `[${convInfo.filterShape.join(', ')}] outputs [${expected.join(', ')}].`,
    );
  }
}
