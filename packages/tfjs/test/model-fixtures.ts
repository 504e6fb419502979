import * as tf from '@tensorflow/tfjs';
import { randomTensor } from './helpers.js';

// Small trained models for the model-surgery tests. Weights come from seeded initializers and a
// few full-batch training steps without shuffling, so every run starts from the same weights.

/** Returns a glorotNormal initializer with a fixed seed. */
export function seeded(seed: number): ReturnType<typeof tf.initializers.glorotNormal> {
  return tf.initializers.glorotNormal({ seed });
}

/** Runs `build` on the cpu backend and switches back, because tfjs 4.22's wasm backend cannot train convs. */
export async function onCpu<T>(build: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return await build();
  } finally {
    await tf.setBackend(backend);
  }
}

/** Fits `model` to a seeded regression target for a few full-batch Adam steps. */
export async function trainBriefly(model: tf.LayersModel, inputShape: number[], seed: number): Promise<void> {
  const outputShape = (model.outputs[0].shape as number[]).slice(1);
  const x = randomTensor(seed, [16, ...inputShape]);
  const y = randomTensor(seed + 1, [16, ...outputShape]);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
}

/**
 * Builds and trains an MLP 8 → 16 → 12 → 1. At the default rank scale 0.25 the first two layers are
 * factorized (ranks 2 and 3) and `output` stays dense, since any rank is at or above its break-even
 * rank 12/13.
 */
export async function trainedMlp(): Promise<tf.Sequential> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, inputShape: [8], activation: 'relu', kernelInitializer: seeded(1), name: 'hidden1' }),
      tf.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: seeded(2), name: 'hidden2' }),
      tf.layers.dense({ units: 1, kernelInitializer: seeded(3), name: 'output' }),
    ],
  });
  await trainBriefly(model, [8], 10);
  return model;
}

/**
 * Builds and trains, on cpu, a CNN on 8 × 8 × 2 inputs: a 3×3 'same' conv to 4 channels, a 3×3 conv with
 * strides 2 to 6 channels, max pooling, flatten, a dense layer and a one-unit output.
 */
export async function trainedCnn(): Promise<tf.Sequential> {
  return onCpu(async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          inputShape: [8, 8, 2],
          kernelInitializer: seeded(4),
          name: 'conv1',
        }),
        tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, kernelInitializer: seeded(5), name: 'conv2' }),
        tf.layers.maxPooling2d({ poolSize: 1, name: 'pool' }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: seeded(6), name: 'dense' }),
        tf.layers.dense({ units: 1, kernelInitializer: seeded(7), name: 'output' }),
      ],
    });
    await trainBriefly(model, [8, 8, 2], 20);
    return model;
  });
}

/**
 * Builds a functional model with two inputs and two outputs, an Add and a Concatenate merge, a layer
 * shared by two branches and a nested Sequential model `encoder`.
 */
export function branchedModel(): tf.LayersModel {
  const encoder = tf.sequential({
    name: 'encoder',
    layers: [
      tf.layers.dense({ units: 9, inputShape: [8], activation: 'relu', kernelInitializer: seeded(11), name: 'enc1' }),
      tf.layers.dense({ units: 8, kernelInitializer: seeded(12), name: 'enc2' }),
    ],
  });
  const shared = tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: seeded(13), name: 'shared' });

  const first = tf.input({ shape: [6], name: 'first' });
  const second = tf.input({ shape: [5], name: 'second' });
  const left = tf.layers.dense({ units: 8, kernelInitializer: seeded(14), name: 'left' }).apply(first) as tf.SymbolicTensor;
  const right = tf.layers.dense({ units: 8, kernelInitializer: seeded(15), name: 'right' }).apply(second) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([left, right]) as tf.SymbolicTensor;
  const encoded = encoder.apply(sum) as tf.SymbolicTensor;
  const sharedLeft = shared.apply(encoded) as tf.SymbolicTensor;
  const sharedRight = shared.apply(right) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([sharedLeft, sharedRight, left]) as tf.SymbolicTensor;
  const scores = tf.layers.dense({ units: 3, kernelInitializer: seeded(16), name: 'scores' }).apply(joined) as tf.SymbolicTensor;
  const value = tf.layers.dense({ units: 7, kernelInitializer: seeded(17), name: 'value' }).apply(sharedLeft) as tf.SymbolicTensor;
  return tf.model({ inputs: [first, second], outputs: [scores, value], name: 'branched' });
}

/** Draws inputs for branchedModel: 4 rows of each input. */
export function branchedInputs(seed: number): tf.Tensor[] {
  return [randomTensor(seed, [4, 6]), randomTensor(seed + 1, [4, 5])];
}

/** Returns model.predict as an array of tensors, one per output. */
export function predictAll(model: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  const output = model.predict(inputs);
  return Array.isArray(output) ? output : [output];
}
