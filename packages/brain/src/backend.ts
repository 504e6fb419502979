import { InvalidArgumentError, UnsupportedError } from '@factorized/core';
import { layer } from 'brain.js';
import gpuModule from 'gpu.js';
import type { IGPUSettings } from 'gpu.js';

/**
 * A gpu.js mode for the kernels of brain.js' layer API: `'cpu'` (plain JavaScript),
 * `'gpu'` (gpu.js picks the first of headless GL, WebGL2, WebGL and WebAssembly that works,
 * brain.js' default), or one backend by name.
 */
export type BrainBackendMode = 'cpu' | 'gpu' | 'webasm' | 'headlessgl' | 'webgl' | 'webgl2';

/** The backend that brain.js' layer API runs on. */
export interface BrainBackend {
  /** The mode that was requested. */
  mode: BrainBackendMode;
  /** The static `mode` of the gpu.js kernel class in use: 'cpu', 'webasm' or 'gpu' for GL. */
  kernelMode: string;
  /** True when this call created brain.js' gpu.js instance, false when it existed before. */
  created: boolean;
}

type KernelClass = (abstract new (...args: never[]) => unknown) & { mode?: string };
type GpuConstructor = new (settings?: IGPUSettings) => object;

const modes: readonly BrainBackendMode[] = ['cpu', 'gpu', 'webasm', 'headlessgl', 'webgl', 'webgl2'];

/**
 * Makes brain.js' layer API (FeedForward and its layers, factorized ones included) run its
 * kernels in gpu.js mode `mode`, and returns the backend in use.
 *
 * brain.js 2.0.0-beta.24 creates one gpu.js instance for all its layer kernels, on first use,
 * as `new GPU({ mode: 'gpu' })`, and exports no way to choose another. In Node without the
 * optional `gl` package, 'gpu' resolves to gpu.js' WebAssembly backend, which runs kernel
 * maps (brain.js' optimizers) on the CPU and prints "Falling back to CPU" through
 * console.warn for each. This function replaces the `GPU` export of the gpu.js module for
 * the one call in which brain.js creates its instance, so that instance gets `mode`, then
 * restores the export.
 *
 * Call it once before building or running any FeedForward network. Throws UnsupportedError
 * when brain.js already created its instance in another mode (for example because a network
 * ran first), because brain.js keeps that instance for the life of the process, and when
 * gpu.js does not support `mode` here. Throws InvalidArgumentError for an unknown mode.
 */
export function setBrainBackend(mode: BrainBackendMode): BrainBackend {
  if (!modes.includes(mode)) {
    throw new InvalidArgumentError('mode', mode, `one of ${modes.map((name) => `'${name}'`).join(', ')}`);
  }

  const exportsObject = gpuModule as unknown as { GPU: GpuConstructor };
  const OriginalGPU = exportsObject.GPU;
  let created = false;

  class ModeGPU extends OriginalGPU {
    constructor(settings?: IGPUSettings) {
      super({ ...settings, mode });
      created = true;
    }
  }

  let kernel: unknown;
  exportsObject.GPU = ModeGPU;
  try {
    // An input layer of width 1 compiles one kernel through brain.js' shared gpu.js instance.
    const probe = layer.input({ height: 1 });
    probe.setupKernels();
    kernel = (probe.reshapeInput as unknown as { kernel?: unknown } | null)?.kernel;
  } catch (error) {
    throw new UnsupportedError(
      `gpu.js could not create kernels in mode '${mode}' here: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  } finally {
    exportsObject.GPU = OriginalGPU;
  }

  const kernelMode = kernelModeOf(kernel);
  if (!created && !kernelMatches(mode, kernel)) {
    throw new UnsupportedError(
      `brain.js already runs its layer kernels in gpu.js mode '${kernelMode}', and keeps that ` +
        `instance for the life of the process, so mode '${mode}' cannot take effect. Call ` +
        'setBrainBackend before building or running any FeedForward network.',
    );
  }

  return { mode, kernelMode, created };
}

function kernelModeOf(kernel: unknown): string {
  const constructor = (kernel as { constructor?: { mode?: unknown } } | undefined)?.constructor;
  return typeof constructor?.mode === 'string' ? constructor.mode : 'unknown';
}

function kernelMatches(mode: BrainBackendMode, kernel: unknown): boolean {
  const classes = gpuModule as unknown as Record<string, KernelClass | undefined>;
  const isInstance = (name: string): boolean => {
    const kernelClass = classes[name];
    return kernelClass !== undefined && kernel instanceof kernelClass;
  };

  switch (mode) {
    case 'cpu':
      return isInstance('CPUKernel');
    case 'gpu':
      return !isInstance('CPUKernel');
    case 'webasm':
      return isInstance('WebAssemblyKernel');
    case 'headlessgl':
      return isInstance('HeadlessGLKernel');
    case 'webgl':
      return isInstance('WebGLKernel');
    case 'webgl2':
      return isInstance('WebGL2Kernel');
  }
}
