import * as tf from '@tensorflow/tfjs';
import { frobeniusDecayTensorByAutodiff } from '../src/factor-penalties.js';
import { FactorizedDense } from '../src/factorized-dense.js';
import { matMulTransposed, saveForGradient } from '../src/tfjs-ops.js';

/** One training step of a layer on fixed data, with the tensors it owns. */
export interface TrainingStep {
  /** Runs the forward pass, the backward pass and one SGD update, and returns when they are computed. */
  run: () => void;
  /** Frees the layer's weights, the data and the optimizer. */
  dispose: () => void;
}

/** A dense layer's sizes and the batch it trains on. */
export interface DenseShape {
  batch: number;
  inputSize: number;
  units: number;
}

/** The form of Frobenius decay that a factorized step adds to its loss, if any. */
export type PenaltyForm = 'none' | 'custom gradient' | 'autodiff';

const LEARNING_RATE = 1e-4;
const FROBENIUS_DECAY = 1e-4;

/**
 * Builds a training step of a FactorizedDense layer (U·V, two factors, bias, linear
 * activation) on a mean-squared-error loss, optionally plus its Frobenius-decay penalty.
 * The factors start from 'standard' initialization: their values do not change the time, and
 * the SVD of spectral initialization would only slow the setup.
 */
export function factorizedDenseStep(shape: DenseShape, rank: number, penalty: PenaltyForm = 'none'): TrainingStep {
  const layer = new FactorizedDense({
    units: shape.units,
    inputDim: shape.inputSize,
    rank,
    initialization: 'standard',
    seed: 1,
    frobeniusDecay: penalty === 'none' ? 0 : FROBENIUS_DECAY,
  });
  layer.build([null, shape.inputSize]);
  const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);

  const lossOf = (input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar => {
    const error = tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(target, layer.apply(input) as tf.Tensor);
    if (penalty === 'custom gradient') {
      return tf.add(error, layer.frobeniusDecayPenalty());
    }
    if (penalty === 'autodiff') {
      return tf.add(error, frobeniusDecayTensorByAutodiff(layer.factorTensors(), FROBENIUS_DECAY));
    }
    return error;
  };
  return sgdStep(shape, variables, lossOf, () => disposeLayerWeights(layer));
}

/** Builds a training step of tfjs's own tf.layers.dense (bias, linear activation) on the same loss. */
export function tfjsDenseStep(shape: DenseShape): TrainingStep {
  const layer = tf.layers.dense({ units: shape.units, inputDim: shape.inputSize });
  layer.build([null, shape.inputSize]);
  const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);

  const lossOf = (input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar =>
    tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(target, layer.apply(input) as tf.Tensor);
  return sgdStep(shape, variables, lossOf, () => disposeLayerWeights(layer));
}

/**
 * Builds a training step of a dense layer x·W + b whose gradients go through the same
 * `matMulTransposed` and `saveForGradient` as the factorized product's: dx = dy·Wᵀ and
 * dW = xᵀ·dy without transpose flags on wasm, and W not copied for the backward pass. It is the fair baseline for FactorizedDense on wasm, where the gradient of
 * tfjs's own dense layer uses the flagged matMul.
 */
export function orderedDenseStep(shape: DenseShape): TrainingStep {
  const scale = 1 / Math.sqrt(shape.inputSize);
  // tf.tidy frees the initial values; the variables outlive it.
  const kernel = tf.tidy(() => tf.variable(tf.randomNormal<tf.Rank.R2>([shape.inputSize, shape.units], 0, scale, 'float32', 2)));
  const bias = tf.tidy(() => tf.variable(tf.zeros([shape.units])));

  const lossOf = (input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar => {
    const output = tf.add(multiplyOrdered(input, kernel), bias);
    return tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(target, output);
  };
  return sgdStep(shape, [kernel, bias], lossOf, () => tf.dispose([kernel, bias]));
}

const multiplyOrdered = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, kernel] = args as tf.Tensor2D[];
  const save = args[2] as tf.GradSaveFunc;
  const restore = saveForGradient(save, [input, kernel]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [savedInput, savedKernel] = restore(saved);
    return [matMulTransposed(dy, savedKernel, false, true), matMulTransposed(savedInput, dy, true, false)];
  };
  return { value: tf.matMul(input, kernel), gradFunc };
}) as (input: tf.Tensor2D, kernel: tf.Tensor2D) => tf.Tensor2D;

function sgdStep(
  shape: DenseShape,
  variables: tf.Variable[],
  lossOf: (input: tf.Tensor2D, target: tf.Tensor2D) => tf.Scalar,
  disposeWeights: () => void,
): TrainingStep {
  const input = tf.randomNormal<tf.Rank.R2>([shape.batch, shape.inputSize], 0, 1, 'float32', 3);
  const target = tf.randomNormal<tf.Rank.R2>([shape.batch, shape.units], 0, 1, 'float32', 4);
  const optimizer = tf.train.sgd(LEARNING_RATE);

  return {
    run: () => {
      const cost = optimizer.minimize(() => lossOf(input, target), true, variables);
      cost?.dataSync();
      cost?.dispose();
    },
    dispose: () => {
      disposeWeights();
      optimizer.dispose();
      tf.dispose([input, target]);
    },
  };
}

/** FLOPs of the products in one training step of x·W (forward, dx and dW): 6·batch·in·out. */
export function denseStepFlops(shape: DenseShape): number {
  return 6 * shape.batch * shape.inputSize * shape.units;
}

/** FLOPs of the products in one training step of x·U·V (forward, dx, dU and dV): 6·batch·r·(in + out). */
export function factorizedStepFlops(shape: DenseShape, rank: number): number {
  return 6 * shape.batch * rank * (shape.inputSize + shape.units);
}

/** Frees a layer's weights. Layer.dispose() rejects layers that were applied only to tensors, never to symbolic inputs. */
function disposeLayerWeights(layer: tf.layers.Layer): void {
  for (const weight of layer.weights) {
    weight.dispose();
  }
}
