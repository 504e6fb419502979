import { Matrix, SeededRandom } from '@factorized/core';
import type { FeedForward } from 'brain.js';

/** float32 unit roundoff, 2^-24: the relative error of one rounding to float32. */
export const FLOAT32_EPSILON = 2 ** -24;

/** Runs `net` on `input` and flattens brain.js' column output (rows of one value) into numbers. */
export function runFlat(net: FeedForward, input: ArrayLike<number>): number[] {
  const output = net.run(Float32Array.from(input)) as unknown;
  return flattenOutput(output);
}

/** Flattens a run output: a Float32Array, a number array or rows of them. */
export function flattenOutput(output: unknown): number[] {
  if (output instanceof Float32Array || output instanceof Float64Array) {
    return Array.from(output);
  }
  if (Array.isArray(output)) {
    return (output as unknown[]).flatMap((entry) => (typeof entry === 'number' ? [entry] : flattenOutput(entry)));
  }
  throw new Error(`Unexpected network output ${String(output)}`);
}

/** Draws a rows × columns matrix of independent normal values times `scale`. */
export function normalMatrix(random: SeededRandom, rows: number, columns: number, scale = 1): Matrix {
  const result = new Matrix(rows, columns);
  for (let i = 0; i < result.data.length; i++) {
    result.data[i] = scale * random.nextNormal();
  }
  return result;
}

/** `count` vectors of `size` uniform draws in [0, 1). */
export function uniformInputs(random: SeededRandom, count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => random.nextUniform()));
}

/** max_i |a_i − b_i| / max(max_i |b_i|, floor): the error relative to the reference's largest entry. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-30): number {
  if (actual.length !== expected.length) {
    return Infinity;
  }
  let difference = 0;
  let magnitude = floor;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    magnitude = Math.max(magnitude, Math.abs(expected[i]));
  }
  return difference / magnitude;
}

/** Max absolute entrywise difference of two matrices of the same shape, Infinity when shapes differ. */
export function maxAbsDifference(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.columns !== b.columns) {
    return Infinity;
  }
  let result = 0;
  for (let i = 0; i < a.data.length; i++) {
    result = Math.max(result, Math.abs(a.data[i] - b.data[i]));
  }
  return result;
}

/** Index of the largest entry. */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[best]) {
      best = i;
    }
  }
  return best;
}

/**
 * Builds the JSON of a classic brain.js NeuralNetwork with seeded float32 weights, in the format
 * of brain.js `version` 1 (layers keyed by node) or 2 (weights and biases arrays).
 */
export function seededClassicJSON(
  version: 1 | 2,
  sizes: number[],
  activation: 'sigmoid' | 'relu' | 'tanh' | 'leaky-relu',
  seed: number,
  scale = 0.5,
): Record<string, unknown> {
  const random = new SeededRandom(seed);
  const layers = sizes.map((size, index) => {
    if (index === 0) {
      return { weights: [] as number[][], biases: [] as number[] };
    }
    const weights = Array.from({ length: size }, () =>
      Array.from({ length: sizes[index - 1] }, () => Math.fround(scale * random.nextNormal())),
    );
    const biases = Array.from({ length: size }, () => Math.fround(0.1 * random.nextNormal()));
    return { weights, biases };
  });

  if (version === 2) {
    return {
      type: 'NeuralNetwork',
      sizes,
      layers,
      inputLookup: null,
      inputLookupLength: 0,
      outputLookup: null,
      outputLookupLength: 0,
      options: {
        inputSize: sizes[0],
        outputSize: sizes[sizes.length - 1],
        binaryThresh: 0.5,
        hiddenLayers: sizes.slice(1, -1),
        activation,
      },
      trainOpts: {
        activation,
        iterations: 20000,
        errorThresh: 0.005,
        log: false,
        logPeriod: 10,
        leakyReluAlpha: 0.01,
        learningRate: 0.3,
        momentum: 0.1,
        callbackPeriod: 10,
        timeout: 'Infinity',
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
      },
    };
  }

  return {
    sizes,
    layers: layers.map((layerJSON, index) => {
      const nodes: Record<string, unknown> = {};
      if (index === 0) {
        for (let node = 0; node < sizes[0]; node++) {
          nodes[String(node)] = {};
        }
        return nodes;
      }
      layerJSON.weights.forEach((row, node) => {
        nodes[String(node)] = {
          bias: layerJSON.biases[node],
          weights: Object.fromEntries(row.map((weight, input) => [String(input), weight])),
        };
      });
      return nodes;
    }),
    outputLookup: false,
    inputLookup: false,
    activation,
  };
}

/** Runs `run` and returns what it throws; fails the test when it throws nothing. */
export function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('Expected an error, but none was thrown.');
}
