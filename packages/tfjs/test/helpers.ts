import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Matrix, SeededRandom } from '@factorized/core';

// Silences the cpu backend's one-time advice to install tfjs-node. Production mode changes
// only logging here; IS_TEST would also turn on a kernel leak check that counts tensors kept
// for a custom gradient as leaks.
tf.enableProdMode();

/** The backends every test file runs on: the pure-JS cpu backend and the wasm backend. */
export const BACKENDS = ['cpu', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Runs `body` once per backend, each in a describe block that switches tfjs to that backend
 * first. In Node the wasm backend finds its .wasm binary by itself, so no setWasmPaths call.
 */
export function describeEachBackend(name: string, body: (backend: BackendName) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        const ready = await tf.setBackend(backend);
        if (!ready) {
          throw new Error(`tfjs backend ${backend} failed to initialize`);
        }
      });
      body(backend);
    });
  }
}

/**
 * Float32 tolerance for comparisons with float64 references: a few hundred units of float32
 * rounding (2^-23 ≈ 1.2e-7), enough for sums of up to a few hundred products.
 */
export const FLOAT32_TOLERANCE = 1e-5;

/** max |a − b| over all entries, and max |b|, for the scaled comparison of `expectClose`. */
export function maxDifference(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { difference: number; scale: number } {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} differs from expected length ${expected.length}`);
  }
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { difference, scale };
}

/** Expects max |actual − expected| ≤ tolerance · max(1, max |expected|). */
export function expectClose(
  actual: ArrayLike<number> | tf.Tensor,
  expected: ArrayLike<number> | tf.Tensor | Matrix,
  tolerance = FLOAT32_TOLERANCE,
): void {
  const actualValues = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  let expectedValues: ArrayLike<number>;
  if (expected instanceof tf.Tensor) {
    expectedValues = expected.dataSync();
  } else if (expected instanceof Matrix) {
    expectedValues = expected.data;
  } else {
    expectedValues = expected;
  }
  const { difference, scale } = maxDifference(actualValues, expectedValues);
  expect(difference).toBeLessThanOrEqual(tolerance * Math.max(1, scale));
}

/** Draws a rows × columns matrix of standard normal entries from `seed`. */
export function randomMatrix(seed: number, rows: number, columns: number): Matrix {
  const random = new SeededRandom(seed);
  const result = new Matrix(rows, columns);
  for (let i = 0; i < result.data.length; i++) {
    result.data[i] = random.nextNormal();
  }
  return result;
}

/** Draws a float32 tensor of standard normal entries from `seed`, the same on every backend. */
export function randomTensor(seed: number, shape: number[]): tf.Tensor {
  const size = shape.reduce((product, length) => product * length, 1);
  return tf.tensor(randomMatrix(seed, 1, size).toFloat32Array(), shape);
}

/**
 * Builds `layer` by applying it to a symbolic input of `shape` (batch axis excluded), as a
 * model does: the weights get the layer's name as prefix, and layer.dispose() works after.
 */
export function buildLayer<T extends tf.layers.Layer>(layer: T, shape: number[]): T {
  layer.apply(tf.input({ shape }));
  return layer;
}

/** Copies a 2-D tensor into a float64 core Matrix. */
export function toMatrix(tensor: tf.Tensor): Matrix {
  const [rows, columns] = tensor.shape;
  return Matrix.from(rows, columns, tensor.dataSync());
}
