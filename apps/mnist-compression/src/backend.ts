import * as tf from '@tensorflow/tfjs';
import { registerWasmConvTraining } from '@factorized/tfjs';
import type { BackendChoice, BackendName } from './config.js';
import { installWasmTrainingSpeedups } from './wasm-speedups.js';

/** The backend an experiment trains on and a one-line reason for the choice. */
export interface BackendSelection {
  name: BackendName;
  reason: string;
}

/** Raised when the requested backend cannot be used here, for example `node` without @tensorflow/tfjs-node. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';

/**
 * Chooses the backend for a flag value. `auto` takes tfjs-node when it is installed, else wasm,
 * else cpu.
 * Throws BackendUnavailableError when `node` is requested and tfjs-node is not installed or
 * fails to load.
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  let nodeProblem = 'is not installed';
  if (choice === 'node' || choice === 'auto') {
    const failure = await importFailure(TFJS_NODE);
    if (failure === undefined) {
      return { name: 'node', reason: choice === 'auto' ? `auto: ${TFJS_NODE} is installed` : 'requested' };
    }
    nodeProblem = failure;
    if (choice === 'node') {
      throw new BackendUnavailableError(`Invalid --backend: "node" needs ${TFJS_NODE}, which ${failure}; use wasm or cpu.`);
    }
  }

  if (choice === 'cpu') {
    return { name: 'cpu', reason: 'requested' };
  }

  if (choice === 'wasm') {
    return { name: 'wasm', reason: 'requested' };
  }
  const wasmProblem = await importFailure(TFJS_WASM);
  if (wasmProblem !== undefined) {
    return { name: 'cpu', reason: `auto: ${TFJS_NODE} ${nodeProblem} and ${TFJS_WASM} ${wasmProblem}, using cpu` };
  }
  return { name: 'wasm', reason: `auto: ${TFJS_NODE} ${nodeProblem}, using wasm` };
}

/**
 * Loads and activates a backend in this thread: imports its module, calls tf.setBackend, waits
 * for it, and on wasm installs this app's training speedups and the conv gradient kernels of
 * @factorized/tfjs, which the wasm backend of tfjs 4.22 lacks. Every worker thread calls it
 * again for itself.
 */
export async function activateBackend(name: BackendName): Promise<void> {
  if (name === 'node') {
    await import(TFJS_NODE);
    await setBackendOrThrow('tensorflow');
    return;
  }

  if (name === 'wasm') {
    await import(TFJS_WASM);
    await setBackendOrThrow('wasm');
    installWasmTrainingSpeedups();
    registerWasmConvTraining();
    return;
  }

  await setBackendOrThrow('cpu');
}

async function setBackendOrThrow(name: string): Promise<void> {
  const ready = await tf.setBackend(name);
  await tf.ready();
  if (!ready || tf.getBackend() !== name) {
    throw new BackendUnavailableError(`The TensorFlow.js backend "${name}" failed to initialize.`);
  }
}

/** Imports a module and returns undefined on success, else why it failed ("is not installed" or the error). */
async function importFailure(specifier: string): Promise<string | undefined> {
  try {
    await import(specifier);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return 'is not installed';
    }
    return `failed to load (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}
