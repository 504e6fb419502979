import { FactorizedError, InvalidArgumentError, UnsupportedError } from '@factorized/core';
import * as tf from '@tensorflow/tfjs';
import { ADDED_WASM_KERNELS, REPLACED_WASM_KERNELS } from './wasm-kernels/provided-kernels.js';

type Layer = tf.layers.Layer;
type LayerNode = Layer['inboundNodes'][number];

/**
 * Training would run a kernel that the backend does not register. Thrown before training by
 * checkTrainingSupport, with the layer whose forward or backward pass needs the kernel and
 * what to do about it.
 */
export class MissingKernelError extends FactorizedError {
  readonly kernelName: string;
  readonly backendName: string;
  readonly layerName: string;

  constructor(kernelName: string, backendName: string, layerName: string, message: string) {
    super(message);
    this.kernelName = kernelName;
    this.backendName = backendName;
    this.layerName = layerName;
  }
}

/** A tfjs backend that an operation needs is not registered with the engine. */
export class MissingBackendError extends FactorizedError {
  readonly backendName: string;

  constructor(backendName: string, remedy: string) {
    super(
      `The '${backendName}' backend is not registered (registered: ${listNames(tf.engine().backendNames())}). ${remedy}`,
    );
    this.backendName = backendName;
  }
}

/** Options of checkTrainingSupport. */
export interface TrainingSupportOptions {
  /** Backend whose kernels to check; defaults to the active backend, tf.getBackend(). */
  backend?: string;
}

/** Summary of a checkTrainingSupport run that found nothing missing. */
export interface TrainingSupportReport {
  /** The backend checked. */
  backend: string;
  /** Layers whose forward and backward pass ran in the trial, in the model's order. */
  checkedLayers: string[];
  /** Stateful layers, not run because a trial would change their state. */
  skippedLayers: string[];
  /** Every kernel the trial ran, sorted. */
  kernels: string[];
}

/**
 * Gradient kernels that some tfjs backends lack. The 'wasm' backend 4.22 lacks all of them
 * except Conv2DBackpropInput.
 */
export const TRAINING_KERNELS_CHECKED: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
];

const missingKernelPattern = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/**
 * Checks, before training, that every kernel run by the forward and backward passes of the
 * model's layers is registered for `options.backend` (default: the active backend). For the
 * first kernel that is not, it throws MissingKernelError naming the kernel, the backend, the
 * layer and the fix.
 *
 * How: each layer that training differentiates (it has weights the model trains, or an earlier
 * layer does) runs one trial under tf.profile. The trial is a forward and backward pass, in
 * training mode on the active backend, of an all-zero batch of one sample. Its non-trainable
 * weights (such as batch-normalization statistics) are restored afterwards. The cost is about
 * one training step of batch size 1. The loss and the optimizer update are not part of the
 * trial, so kernels that only they run are not checked.
 *
 * A trial that fails for another reason (tfjs 4.22 has no gradient for dilated convolutions,
 * for example) throws UnsupportedError naming the layer, with the original error as `cause`.
 * Checking a backend other than the active one reads the kernel names off the trial on the
 * active backend, so that backend must be able to run the trial itself.
 */
export async function checkTrainingSupport(
  model: tf.LayersModel,
  options: TrainingSupportOptions = {},
): Promise<TrainingSupportReport> {
  if (!(model instanceof tf.LayersModel)) {
    throw new InvalidArgumentError('model', model, 'a tf.LayersModel');
  }
  validateOptions(options);

  const activeBackend = tf.getBackend();
  const backend = options.backend ?? activeBackend;
  const trainedWeights = new Set(model.trainableWeights.map((weight) => weight.id));
  const differentiated = new Set<Layer>();
  const report: TrainingSupportReport = { backend, checkedLayers: [], skippedLayers: [], kernels: [] };
  const kernels = new Set<string>();

  for (const layer of model.layers) {
    const node = firstInboundNode(layer);
    const trainsWeights = layer.trainableWeights.some((weight) => trainedWeights.has(weight.id));
    const inputNeedsGradient = node.inboundLayers.some((inbound) => differentiated.has(inbound));
    if (!trainsWeights && !inputNeedsGradient) {
      continue;
    }
    differentiated.add(layer);

    if (layer.stateful) {
      report.skippedLayers.push(layer.name);
      continue;
    }

    const kernelNames = await profileTrial(layer, node, trainedWeights, inputNeedsGradient, activeBackend, backend);
    for (const kernelName of kernelNames) {
      // tf.profile also lists scopes of composite ops (such as 'fusedConv2d__op'), which are
      // not kernels: every kernel of a trial that succeeded is registered on the active backend.
      if (!hasKernel(kernelName, activeBackend)) {
        continue;
      }

      if (!hasKernel(kernelName, backend)) {
        throw missingKernelError(kernelName, backend, layer);
      }
      kernels.add(kernelName);
    }
    report.checkedLayers.push(layer.name);
  }

  report.kernels = [...kernels].sort();
  return report;
}

/** Description of the active backend and of its training kernels. */
export interface BackendDescription {
  /** Name of the active backend: 'cpu', 'wasm', 'webgl', 'tensorflow' (tfjs-node), ... */
  name: string;
  /** Every registered backend, active or not. */
  registered: string[];
  /** Whether @tensorflow/tfjs-node's 'tensorflow' backend is registered. */
  tensorflowNode: boolean;
  /** The kernels of TRAINING_KERNELS_CHECKED that the active backend does not register. */
  missingTrainingKernels: string[];
}

/** Describes the active backend, for logs and for choosing one before training. */
export function describeBackend(): BackendDescription {
  const name = tf.getBackend();
  const registered = tf.engine().backendNames();

  return {
    name,
    registered,
    tensorflowNode: registered.includes('tensorflow'),
    missingTrainingKernels: TRAINING_KERNELS_CHECKED.filter((kernelName) => !hasKernel(kernelName, name)),
  };
}

function validateOptions(options: TrainingSupportOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', options, 'an object such as { backend: "wasm" }');
  }

  const unknown = Object.keys(options).filter((key) => key !== 'backend');
  if (unknown.length > 0) {
    throw new InvalidArgumentError('options', options, 'an object whose only key is "backend"');
  }

  const registered = tf.engine().backendNames();
  if (options.backend !== undefined && !registered.includes(options.backend)) {
    throw new InvalidArgumentError('options.backend', options.backend, `a registered backend: ${listNames(registered)}`);
  }
}

function firstInboundNode(layer: Layer): LayerNode {
  const node = layer.inboundNodes[0];
  if (node === undefined) {
    throw new InvalidArgumentError(
      'model',
      `layer '${layer.name}' with no inputs`,
      'a built model: give its first layer an inputShape or call model.build() first',
    );
  }
  return node;
}

/**
 * Runs the layer's trial under tf.profile and returns the names of the kernels it ran.
 * NOTE: tf.profile (tfjs-core 4.22) leaves profiling switched on when its callback throws,
 * so the trial's error is caught inside the callback and rethrown after it returns.
 */
async function profileTrial(
  layer: Layer,
  node: LayerNode,
  trainedWeights: ReadonlySet<number>,
  inputNeedsGradient: boolean,
  activeBackend: string,
  backend: string,
): Promise<string[]> {
  let failure: unknown;
  const profile = await tf.profile(() => {
    try {
      runTrial(layer, node, trainedWeights, inputNeedsGradient);
    } catch (error) {
      failure = error;
      releaseAbandonedTape();
    }
  });

  if (failure !== undefined) {
    throw trialError(failure, layer, activeBackend, backend);
  }
  return profile.kernelNames;
}

function runTrial(
  layer: Layer,
  node: LayerNode,
  trainedWeights: ReadonlySet<number>,
  inputNeedsGradient: boolean,
): void {
  const savedState = layer.nonTrainableWeights.map((weight) => tf.clone(weight.read()));

  try {
    tf.tidy(() => {
      const inputs = node.inputTensors.map((input) =>
        tf.zeros(input.shape.map((size) => size ?? 1), input.dtype),
      );
      const weights = layer.trainableWeights
        .filter((weight) => trainedWeights.has(weight.id))
        .map((weight) => weight.read());
      const inputsToDifferentiate = inputNeedsGradient ? inputs.filter((input) => input.dtype === 'float32') : [];
      const xs = [...inputsToDifferentiate, ...weights];
      if (xs.length === 0) {
        return;
      }

      tf.engine().gradients(
        () => sumOutputs(layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true })),
        xs,
        undefined,
        true,
      );
    });
  } finally {
    layer.nonTrainableWeights.forEach((weight, index) => weight.write(savedState[index]));
    tf.dispose(savedState);
  }
}

/**
 * Disposes the tensors that the tape of a failed tf.engine().gradients call saved for the
 * backward pass, as gradients() itself does at the end of an outermost (gradientDepth 0) pass.
 * NOTE: tfjs-core 4.22 releases them only when the backward pass completes, so without this
 * each failed trial would leak them.
 */
function releaseAbandonedTape(): void {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || state.activeTape == null) {
    return;
  }

  for (const tapeNode of state.activeTape) {
    tf.dispose(tapeNode.saved ?? []);
  }
  state.activeTape = null as unknown as typeof state.activeTape;
}

function sumOutputs(outputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]): tf.Scalar {
  const tensors = (Array.isArray(outputs) ? outputs : [outputs]).filter(
    (output): output is tf.Tensor => output instanceof tf.Tensor && output.dtype === 'float32',
  );
  return tensors.reduce<tf.Scalar>((total, output) => tf.add(total, tf.sum(output)), tf.scalar(0));
}

function trialError(failure: unknown, layer: Layer, activeBackend: string, backend: string): FactorizedError {
  const message = failure instanceof Error ? failure.message : String(failure);
  const missing = missingKernelPattern.exec(message);

  if (missing !== null && missing[2] === backend) {
    return missingKernelError(missing[1], backend, layer);
  }

  const where = backend === activeBackend ? `on backend '${backend}'` : `on the active backend '${activeBackend}', so backend '${backend}' could not be checked`;
  const error = new UnsupportedError(
    `Layer '${layer.name}' (${layer.getClassName()}) failed a one-sample training trial ${where}: ${message}`,
  );
  error.cause = failure;
  return error;
}

function missingKernelError(kernelName: string, backend: string, layer: Layer): MissingKernelError {
  const providedHere =
    backend === 'wasm' && (ADDED_WASM_KERNELS.includes(kernelName) || REPLACED_WASM_KERNELS.includes(kernelName));
  const backendsWithKernel = tf.engine().backendNames().filter((name) => hasKernel(kernelName, name));

  const remedies: string[] = [];
  if (providedHere) {
    remedies.push("import '@factorized/tfjs/wasm-conv-training' (or call registerWasmConvTraining()) before training");
  }
  remedies.push(
    backendsWithKernel.length > 0
      ? `train on a backend that has it (${listNames(backendsWithKernel)})`
      : 'no registered backend has it, so train this layer type elsewhere',
  );

  return new MissingKernelError(
    kernelName,
    backend,
    layer.name,
    `Layer '${layer.name}' (${layer.getClassName()}) cannot train on backend '${backend}': its ` +
      `training step runs kernel '${kernelName}', which that backend does not register. To fix ` +
      `it, ${remedies.join(', or ')}.`,
  );
}

function hasKernel(kernelName: string, backend: string): boolean {
  // NOTE: getKernel's declared type omits undefined, which it returns for a missing kernel.
  return (tf.getKernel(kernelName, backend) as tf.KernelConfig | undefined) !== undefined;
}

function listNames(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}
