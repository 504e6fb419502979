import * as tf from '@tensorflow/tfjs';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs';

import { factorizedConv2d, factorizedDense } from '../src/index.js';
import { expectClose, randomMatrix } from './helpers.js';

// This file never imports '@factorized/tfjs/wasm-conv-training': FactorizedConv2D must train
// on wasm by itself.

function buildCnn(scheme: 'paper' | 'pointwise'): tf.Sequential {
  return tf.sequential({
    layers: [
      factorizedConv2d({
        filters: 6,
        kernelSize: 3,
        rank: 2,
        scheme,
        seed: 1,
        inputShape: [8, 8, 2],
        activation: 'relu',
      }),
      factorizedConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', rank: 3, scheme, seed: 2 }),
      tf.layers.flatten(),
      factorizedDense({ units: 3, rank: 2, seed: 3 }),
    ],
  });
}

/** Gradients of a mean-squared-error loss with respect to every trainable weight, by weight name. */
function lossGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Record<string, Float32Array> {
  const weights = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const { grads, value } = tf.variableGrads(
    () => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(y, model.predict(x) as tf.Tensor),
    weights,
  );
  const result: Record<string, Float32Array> = {};
  for (const [name, gradient] of Object.entries(grads)) {
    result[name] = gradient.dataSync() as Float32Array;
  }
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

describe('FactorizedConv2D on wasm', () => {
  const x = (): tf.Tensor4D => tf.tensor4d(randomMatrix(11, 4, 128).toFloat32Array(), [4, 8, 8, 2]);
  const y = (): tf.Tensor2D => tf.tensor2d(randomMatrix(12, 4, 3).toFloat32Array(), [4, 3]);

  afterEach(async () => {
    await tf.setBackend('cpu');
  });

  for (const scheme of ['paper', 'pointwise'] as const) {
    it(`trains without the opt-in import, ${scheme}`, async () => {
      await tf.setBackend('wasm');
      const model = buildCnn(scheme);
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const inputs = x();
      const targets = y();

      const history = await model.fit(inputs, targets, { epochs: 5, batchSize: 4, verbose: 0 });
      const losses = history.history.loss as number[];

      expect(tf.getKernel(Conv2DBackpropFilter, 'wasm')).toBeDefined();
      expect(losses[4]).toBeLessThan(losses[0]);
      tf.dispose([inputs, targets]);
      model.dispose();
    });

    it(`matches cpu gradients, ${scheme}`, async () => {
      await tf.setBackend('cpu');
      const cpuModel = buildCnn(scheme);
      const cpuGradients = lossGradients(cpuModel, x(), y());
      const weights = cpuModel
        .getWeights()
        .map((weight) => ({ shape: weight.shape, values: weight.dataSync().slice() }));
      const names = cpuModel.trainableWeights.map((weight) => (weight.read() as tf.Variable).name);
      cpuModel.dispose();

      await tf.setBackend('wasm');
      const wasmModel = buildCnn(scheme);
      wasmModel.setWeights(weights.map(({ shape, values }) => tf.tensor(values, shape)));
      const wasmGradients = lossGradients(wasmModel, x(), y());
      const wasmNames = wasmModel.trainableWeights.map((weight) => (weight.read() as tf.Variable).name);

      names.forEach((name, index) => {
        expectClose(wasmGradients[wasmNames[index]], cpuGradients[name], 1e-4);
      });
      wasmModel.dispose();
    });
  }
});
