import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@factorized/core';
import type { MnistSplit } from '../src/mnist.js';
import { evaluateAccuracy, learningRateAt, trainModel } from '../src/train.js';

describe('learningRateAt', () => {
  const schedule = { epochs: 20, learningRate: 0.1, learningRateDecay: 0.1, learningRateMilestones: [0.5, 0.75] };

  it.each([
    [0, 0.1],
    [9, 0.1],
    [10, 0.01],
    [14, 0.01],
    [15, 0.001],
    [19, 0.001],
  ])('gives epoch %p rate %p', (epoch, rate) => {
    expect(learningRateAt(epoch, schedule)).toBeCloseTo(rate, 15);
  });
});

/** Builds a separable toy split: the class is the index of the brightest of the first 10 pixels. */
function toySplit(count: number, seed: number): MnistSplit {
  const random = new SeededRandom(seed);
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = Math.floor(random.nextUniform() * 10);
    for (let p = 0; p < 784; p++) {
      images[i * 784 + p] = 0.1 * random.nextUniform();
    }
    images[i * 784 + labels[i]] = 1;
  }
  return { images, labels, count };
}

function toyModel(): tf.LayersModel {
  return tf.sequential({
    layers: [tf.layers.dense({ inputShape: [784], units: 10, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) })],
  });
}

describe('trainModel', () => {
  const settings = { epochs: 3, batchSize: 32, learningRate: 0.5, learningRateDecay: 0.1, learningRateMilestones: [0.5], momentum: 0.9, seed: 4 };
  const train = toySplit(256, 1);
  const validation = toySplit(128, 2);

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('learns a separable problem', async () => {
    const model = toyModel();
    await trainModel(model, train, validation, settings);
    expect(evaluateAccuracy(model, validation)).toBeGreaterThan(0.9);
  });

  it('records one entry per epoch', async () => {
    const outcome = await trainModel(toyModel(), train, validation, settings);
    expect(outcome.history.map((record) => record.epoch)).toEqual([1, 2, 3]);
  });

  it('applies the learning-rate schedule', async () => {
    const outcome = await trainModel(toyModel(), train, validation, settings);
    expect(outcome.history.map((record) => record.learningRate)).toEqual([0.5, 0.5, 0.05]);
  });

  it('repeats a run for a seed', async () => {
    const first = await trainModel(toyModel(), train, validation, settings);
    const second = await trainModel(toyModel(), train, validation, settings);
    expect(second.history.map((record) => record.loss)).toEqual(first.history.map((record) => record.loss));
  });

  it('stops between batches when asked', async () => {
    let batches = 0;
    const outcome = await trainModel(toyModel(), train, validation, settings, {
      onBatch: () => {
        batches += 1;
      },
      shouldStop: () => batches >= 3,
    });
    expect([outcome.stopped, batches]).toEqual([true, 3]);
  });

  it('reports divergence', async () => {
    const broken = toySplit(64, 5);
    broken.images[3] = Number.POSITIVE_INFINITY;
    const outcome = await trainModel(toyModel(), broken, validation, settings);
    expect(outcome.diverged).toBe(true);
  });

  it('adds the kernel regularizers to the loss', async () => {
    const regularized = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), kernelRegularizer: tf.regularizers.l2({ l2: 10 }) })],
    });
    const plain = await trainModel(toyModel(), train, validation, { ...settings, epochs: 1 });
    const penalized = await trainModel(regularized, train, validation, { ...settings, epochs: 1 });
    expect(penalized.history[0].loss).toBeGreaterThan(plain.history[0].loss + 1);
  });

  it('leaks no tensors', async () => {
    const model = toyModel();
    await trainModel(model, train, validation, { ...settings, epochs: 1 });
    const before = tf.memory().numTensors;
    await trainModel(model, train, validation, { ...settings, epochs: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('evaluateAccuracy', () => {
  it('counts argmax matches in batches', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10, useBias: false, kernelInitializer: 'zeros' })] });
    const kernel = tf.buffer([784, 10]);
    for (let c = 0; c < 10; c++) {
      kernel.set(1, c, c);
    }
    model.layers[0].setWeights([kernel.toTensor()]);
    expect(evaluateAccuracy(model, toySplit(50, 3), 7)).toBe(1);
  });
});
