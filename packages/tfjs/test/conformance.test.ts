import * as tf from '@tensorflow/tfjs';
import { describe, it } from '@jest/globals';
import type { FactorizedAdapter, Factors, FactorTensors, RegularizerResult } from '@factorized/core';
import { Matrix } from '@factorized/core';
import { describeConformance } from '@factorized/adapter-testkit';

import type { FactorizedDense, FactorizedDenseArgs } from '../src/index.js';
import {
  DEFAULT_KERNEL_INITIALIZER,
  factorizedDense,
  frobeniusDecayTensor,
  tfjsOps,
  weightDecayTensor,
} from '../src/index.js';
import { describeEachBackend } from './helpers.js';

/** One FactorizedDense layer in a sequential model, which tfjs can save and load. */
interface DenseHandle {
  model: tf.LayersModel;
  layer: FactorizedDense;
}

function tensorFromMatrix(matrix: Matrix): tf.Tensor2D {
  return tf.tensor2d(matrix.toFloat32Array(), [matrix.rows, matrix.columns]);
}

/** Copies a tensor of rank 0, 1 or 2 into a matrix; a scalar becomes 1×1, a vector one row. */
async function matrixFromTensor(tensor: tf.Tensor): Promise<Matrix> {
  const [rows, columns] = tensor.rank === 2 ? tensor.shape : [1, tensor.size];
  return Matrix.from(rows, columns, await tensor.data());
}

async function factorsFromTensors(tensors: FactorTensors<tf.Tensor>): Promise<Factors> {
  const left = await matrixFromTensor(tensors.left);
  const right = await matrixFromTensor(tensors.right);
  return tensors.middle === undefined ? { left, right } : { left, middle: await matrixFromTensor(tensors.middle), right };
}

/**
 * Value and gradients of a penalty built from the factors, through tf.valueAndGrads, the way
 * model.fit differentiates the layer's losses.
 */
async function penaltyWithGradients(
  factors: Factors,
  penalty: (tensors: FactorTensors<tf.Tensor>) => tf.Scalar,
): Promise<RegularizerResult> {
  const inputs = [tensorFromMatrix(factors.left), tensorFromMatrix(factors.right)];
  if ('middle' in factors) {
    inputs.push(tensorFromMatrix(factors.middle));
  }
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) =>
    penalty(args.length === 2 ? { left: args[0], right: args[1] } : { left: args[0], middle: args[2], right: args[1] }),
  )(inputs);

  const result: RegularizerResult = {
    value: (await value.data())[0],
    gradients: await factorsFromTensors(
      grads.length === 2 ? { left: grads[0], right: grads[1] } : { left: grads[0], middle: grads[2], right: grads[1] },
    ),
  };
  tf.dispose([...inputs, value, ...grads]);
  return result;
}

const tfjsAdapter: FactorizedAdapter<DenseHandle, tf.Tensor> = {
  name: '@factorized/tfjs',
  precision: 'float32',
  defaultKernelInitializer: DEFAULT_KERNEL_INITIALIZER,

  createLayer: ({ inputSize, outputSize, options }) => {
    // The kit passes core's options, invalid ones included; tfjs validates them as it would a user's.
    const args = { ...options, units: outputSize, inputShape: [inputSize], useBias: false } as FactorizedDenseArgs;
    const layer = factorizedDense(args);
    return { model: tf.sequential({ layers: [layer] }), layer };
  },
  readFactors: ({ layer }) => factorsFromTensors(layer.factorTensors()),
  collapse: async ({ layer }) => {
    const { left, middle, right } = layer.factorTensors();
    const kernel = tf.tidy(() => tf.matMul(middle === undefined ? left : tf.matMul(left, middle), right));
    const result = await matrixFromTensor(kernel);
    kernel.dispose();
    return result;
  },
  predict: async ({ model }, inputs) => {
    const input = tensorFromMatrix(inputs);
    const output = model.predict(input) as tf.Tensor;
    const result = await matrixFromTensor(output);
    tf.dispose([input, output]);
    return result;
  },
  frobeniusDecay: (factors, coefficient) =>
    penaltyWithGradients(factors, (tensors) => frobeniusDecayTensor(tensors, coefficient)),
  weightDecay: (factors, coefficient) =>
    penaltyWithGradients(factors, (tensors) => weightDecayTensor(tensors, coefficient)),
  saveAndLoad: async ({ model }) => {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((saved) => {
        artifacts = saved;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    return { model: loaded, layer: loaded.layers[0] as FactorizedDense };
  },
  dispose: ({ model }) => {
    model.dispose();
  },
  memory: () => tf.memory().numTensors,
  tensorOps: {
    ops: tfjsOps,
    fromMatrix: tensorFromMatrix,
    toMatrix: matrixFromTensor,
    dispose: (tensor) => tensor.dispose(),
  },
};

describeEachBackend('FactorizedDense', () => {
  describeConformance(tfjsAdapter, { describe, it });
});
