import * as tf from '@tensorflow/tfjs';
import { factorizedConv2d, factorizedDense, frobeniusDecayLoss } from '../src/index.js';
import { describeEachBackend, randomTensor } from './helpers.js';

function denseModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      factorizedDense({ units: 6, rank: 3, seed: 1, inputShape: [5], frobeniusDecay: 1e-3, activation: 'relu' }),
      factorizedDense({ units: 2, rank: 2, factors: 3, seed: 2, weightDecay: 1e-3 }),
    ],
  });
}

describeEachBackend('tensor memory', (backend) => {
  it('returns to its start after build, fit, predict and dispose', async () => {
    const x = randomTensor(3, [8, 5]);
    const y = randomTensor(4, [8, 2]);
    const start = tf.memory().numTensors;

    const model = denseModel();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    tf.dispose(model.predict(x));
    tf.dispose(model.evaluate(x, y));
    tf.dispose(frobeniusDecayLoss(model));
    model.dispose();

    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([x, y]);
  });

  it('returns to its start after apply in training mode', () => {
    const input = randomTensor(5, [2, 6, 6, 3]);
    const start = tf.memory().numTensors;

    const layer = factorizedConv2d({ filters: 4, kernelSize: 3, rank: 2, seed: 6, padding: 'same', factors: 3 });
    const output = layer.apply(input, { training: true }) as tf.Tensor;
    const penalty = layer.frobeniusDecayPenalty();
    tf.dispose([output, penalty]);
    layer.dispose();

    expect(tf.memory().numTensors).toBe(start);
    input.dispose();
  });

  it('returns to its start after gradients of the layers', () => {
    const input = randomTensor(7, [3, 5]);
    const start = tf.memory().numTensors;

    const model = denseModel();
    const { value, grads } = tf.variableGrads(() =>
      tf.add(tf.sum(model.apply(input, { training: true }) as tf.Tensor), frobeniusDecayLoss(model)),
    );
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();

    expect(tf.memory().numTensors).toBe(start);
    input.dispose();
  });

  if (backend === 'cpu') {
    it('returns to its start after conv training', async () => {
      const x = randomTensor(8, [4, 5, 5, 2]);
      const y = randomTensor(9, [4, 5, 5, 3]);
      const start = tf.memory().numTensors;

      const model = tf.sequential({
        layers: [
          factorizedConv2d({
            filters: 3,
            kernelSize: 3,
            padding: 'same',
            rank: 2,
            seed: 10,
            inputShape: [5, 5, 2],
            frobeniusDecay: 1e-3,
          }),
        ],
      });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
      model.dispose();

      expect(tf.memory().numTensors).toBe(start);
      tf.dispose([x, y]);
    });
  }
});
