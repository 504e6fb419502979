import * as tf from '@tensorflow/tfjs';
import { factorizedConv2d, factorizedDense } from '../src/layers.js';
import type { TimingOptions, TaskTime } from './timing.js';
import { medianTimeAsync } from './timing.js';

/** The small factorized CNN of the conv benchmark and the batch it trains on. */
export const CNN_SHAPE = { batch: 8, height: 32, width: 32, channels: 3, classes: 10 } as const;

/**
 * Builds a small CIFAR-sized factorized CNN: two FactorizedConv2D layers (3×3, 'paper'
 * scheme, same padding, ReLU) with max pooling, then a FactorizedDense softmax layer.
 */
export function factorizedCnn(): tf.Sequential {
  const { height, width, channels, classes } = CNN_SHAPE;
  return tf.sequential({
    layers: [
      factorizedConv2d({
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        rank: 8,
        initialization: 'standard',
        seed: 1,
        inputShape: [height, width, channels],
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      factorizedConv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', rank: 32, initialization: 'standard', seed: 2 }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      factorizedDense({ units: classes, rank: 8, activation: 'softmax', initialization: 'standard', seed: 3 }),
    ],
  });
}

/**
 * Times model.trainOnBatch of `factorizedCnn` (SGD, categorical cross-entropy) on `backend`,
 * which must be registered and, for convolution training on wasm, have its kernels.
 * Returns the median times; every tensor it creates is disposed.
 */
export async function timeCnnStep(backend: string, options: TimingOptions): Promise<TaskTime> {
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tfjs backend ${backend} failed to initialize`);
  }
  const { batch, height, width, channels, classes } = CNN_SHAPE;
  const model = factorizedCnn();
  const optimizer = tf.train.sgd(0.01);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const input = tf.randomNormal([batch, height, width, channels], 0, 1, 'float32', 5);
  const labels = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', 6), classes));

  try {
    return await medianTimeAsync(async () => {
      await model.trainOnBatch(input, labels);
    }, options);
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([input, labels]);
  }
}
