import { Matrix as MlMatrix, QrDecomposition } from 'ml-matrix';

import {
  checkFans,
  checkKnownKeys,
  checkPlainObject,
  checkPositiveInteger,
  checkSeed,
} from './argument-checks.js';
import { InvalidArgumentError } from './errors.js';
import type { Fans } from './fans.js';
import { denseFans } from './fans.js';
import type {
  InitializerConfig,
  InitializerSpec,
  VarianceScalingDistribution,
} from './initializer-config.js';
import { VARIANCE_SCALING_PRESETS, resolveInitializer } from './initializer-config.js';
import { Matrix } from './matrix.js';
import { SeededRandom, randomSeed } from './random.js';

export * from './fans.js';
export * from './initializer-config.js';

/**
 * Standard deviation of a standard normal truncated to [−2, 2]. Keras divides a truncated
 * normal's stddev by it so the drawn values have the intended variance.
 */
export const TRUNCATED_NORMAL_STDDEV_FACTOR = 0.87962566103423978;

/** Sources of fans and random numbers for drawInitializer. */
export interface DrawInitializerOptions {
  /**
   * Fans of the weight the matrix stands for (default: denseFans(rows, columns)). Pass
   * convFans(...) for a conv kernel.
   */
  fans?: Fans;
  /** Seed of a fresh stream for this draw. */
  seed?: number;
  /** A stream to draw from; it advances. Give either `seed` or `random`, not both. */
  random?: SeededRandom;
}

/** Mean and variance of one entry of an initializer's output. */
export interface InitializerMoments {
  mean: number;
  variance: number;
}

/**
 * Draws a `rows` × `columns` matrix from an initializer with Keras' definitions:
 * - varianceScaling (and the glorot, he and lecun shortcuts): n = fanIn, fanOut or their mean
 *   (at least 1); 'uniform' draws from [−√(3·scale/n), √(3·scale/n)); 'truncatedNormal' draws a
 *   normal with stddev √(scale/n) / 0.8796… cut at two stddevs, so the variance is scale/n;
 *   'untruncatedNormal' a plain normal with stddev √(scale/n).
 * - randomNormal: mean + stddev·N(0, 1). truncatedNormal: the same, redrawn while more than two
 *   stddevs from the mean (no variance correction, as in Keras).
 * - randomUniform: uniform between minval and maxval (maxval excluded up to rounding).
 * - orthogonal: gain · Q, where Q comes from the QR decomposition of a max(rows, columns) ×
 *   min(rows, columns) standard normal matrix with the column signs fixed by diag(R), and is
 *   transposed when rows < columns. The columns (rows ≥ columns) or the rows are orthonormal.
 *   Costs O(max·min²) through ml-matrix's QR.
 * - zeros, ones.
 *
 * Randomness comes from `options.random` if given, else from a new stream seeded with
 * `options.seed`, else with the initializer's own `seed`, else with {@link randomSeed}. The same
 * seed gives the same matrix. An initializer seed together with a different `options.seed`, or
 * with `options.random`, throws InvalidArgumentError because one of them would be ignored.
 * Entries are drawn in row-major order (for orthogonal, the entries of its Gaussian matrix).
 */
export function drawInitializer(
  spec: InitializerSpec,
  rows: number,
  columns: number,
  options: DrawInitializerOptions = {},
): Matrix {
  const config = resolveInitializer(spec, 'initializer');
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['fans', 'seed', 'random']);

  const fans = options.fans ?? denseFans(rows, columns);
  checkFans('options.fans', fans);
  const random = chooseStream(config, options);
  const result = new Matrix(rows, columns);
  const data = result.data;

  switch (config.name) {
    case 'zeros':
      return result;
    case 'ones':
      data.fill(1);
      return result;
    case 'randomNormal':
      fillNormal(data, config.mean ?? 0, config.stddev ?? 0.05, false, random);
      return result;
    case 'truncatedNormal':
      fillNormal(data, config.mean ?? 0, config.stddev ?? 0.05, true, random);
      return result;
    case 'randomUniform':
      fillUniform(data, config.minval ?? -0.05, config.maxval ?? 0.05, random);
      return result;
    case 'orthogonal':
      return drawOrthogonal(rows, columns, config.gain ?? 1, random);
    default: {
      const { distribution, spread } = varianceScalingSpread(config, fans);
      if (distribution === 'uniform') {
        fillUniform(data, -spread, spread, random);
      } else {
        fillNormal(data, 0, spread, distribution === 'truncatedNormal', random);
      }
      return result;
    }
  }
}

/**
 * Returns the exact mean and variance of one entry that drawInitializer(spec, rows, columns,
 * { fans }) produces. For orthogonal the entries are not independent; the variance given is
 * their mean square, gain² / max(rows, columns), exact for every draw.
 */
export function initializerMoments(
  spec: InitializerSpec,
  rows: number,
  columns: number,
  fans?: Fans,
): InitializerMoments {
  const config = resolveInitializer(spec, 'initializer');
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  const resolvedFans = fans ?? denseFans(rows, columns);
  checkFans('fans', resolvedFans);
  const truncatedVariance = TRUNCATED_NORMAL_STDDEV_FACTOR ** 2;

  switch (config.name) {
    case 'zeros':
      return { mean: 0, variance: 0 };
    case 'ones':
      return { mean: 1, variance: 0 };
    case 'randomNormal':
      return { mean: config.mean ?? 0, variance: (config.stddev ?? 0.05) ** 2 };
    case 'truncatedNormal':
      return { mean: config.mean ?? 0, variance: (config.stddev ?? 0.05) ** 2 * truncatedVariance };
    case 'randomUniform': {
      const minval = config.minval ?? -0.05;
      const maxval = config.maxval ?? 0.05;
      return { mean: (minval + maxval) / 2, variance: (maxval - minval) ** 2 / 12 };
    }
    case 'orthogonal':
      return { mean: 0, variance: (config.gain ?? 1) ** 2 / Math.max(rows, columns) };
    default: {
      const { distribution, spread } = varianceScalingSpread(config, resolvedFans);
      if (distribution === 'uniform') {
        return { mean: 0, variance: spread ** 2 / 3 };
      }
      return {
        mean: 0,
        variance:
          distribution === 'truncatedNormal' ? (spread * TRUNCATED_NORMAL_STDDEV_FACTOR) ** 2 : spread ** 2,
      };
    }
  }
}

/**
 * Returns the distribution of a variance-scaling config and its spread: the uniform limit, or
 * the normal's stddev before truncation.
 */
function varianceScalingSpread(
  config: InitializerConfig,
  fans: Fans,
): { distribution: VarianceScalingDistribution; spread: number } {
  const preset = VARIANCE_SCALING_PRESETS[config.name];
  const scale = preset?.scale ?? config.scale ?? 1;
  const mode = preset?.mode ?? config.mode ?? 'fanIn';
  const distribution = preset?.distribution ?? config.distribution ?? 'truncatedNormal';

  let fan = (fans.fanIn + fans.fanOut) / 2;
  if (mode === 'fanIn') {
    fan = fans.fanIn;
  } else if (mode === 'fanOut') {
    fan = fans.fanOut;
  }
  const variance = scale / Math.max(1, fan);

  if (distribution === 'uniform') {
    return { distribution, spread: Math.sqrt(3 * variance) };
  }
  if (distribution === 'truncatedNormal') {
    return { distribution, spread: Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV_FACTOR };
  }
  return { distribution, spread: Math.sqrt(variance) };
}

function chooseStream(config: InitializerConfig, options: DrawInitializerOptions): SeededRandom {
  const { seed, random } = options;

  if (random !== undefined) {
    if (!(random instanceof SeededRandom)) {
      throw new InvalidArgumentError('options.random', random, 'a SeededRandom');
    }
    if (seed !== undefined) {
      throw new InvalidArgumentError('options.seed', seed, 'no seed when options.random is given');
    }
    if (config.seed !== undefined) {
      throw new InvalidArgumentError(
        'initializer.seed',
        config.seed,
        'no initializer seed when options.random is given (remove one of them)',
      );
    }
    return random;
  }

  if (seed !== undefined) {
    checkSeed('options.seed', seed);
    if (config.seed !== undefined && config.seed !== seed) {
      throw new InvalidArgumentError(
        'options.seed',
        seed,
        `the initializer's own seed (${config.seed}) or no seed, because the two seeds conflict`,
      );
    }
    return new SeededRandom(seed);
  }

  return new SeededRandom(config.seed ?? randomSeed());
}

function fillUniform(data: Float64Array, minval: number, maxval: number, random: SeededRandom): void {
  const width = maxval - minval;
  for (let index = 0; index < data.length; index++) {
    data[index] = minval + width * random.nextUniform();
  }
}

function fillNormal(
  data: Float64Array,
  mean: number,
  stddev: number,
  truncated: boolean,
  random: SeededRandom,
): void {
  for (let index = 0; index < data.length; index++) {
    let value = random.nextNormal();
    // Rejection keeps the shape of the normal inside [−2, 2]; about 95.4 % of draws are kept.
    while (truncated && Math.abs(value) > 2) {
      value = random.nextNormal();
    }
    data[index] = mean + stddev * value;
  }
}

function drawOrthogonal(rows: number, columns: number, gain: number, random: SeededRandom): Matrix {
  const tall = Math.max(rows, columns);
  const narrow = Math.min(rows, columns);
  const gaussian = new Float64Array(tall * narrow);
  fillNormal(gaussian, 0, 1, false, random);

  const qr = new QrDecomposition(MlMatrix.from1DArray(tall, narrow, gaussian));
  const q = qr.orthogonalMatrix;
  const r = qr.upperTriangularMatrix;

  // Flipping each column of Q by the sign of R's diagonal makes Q uniformly (Haar) distributed;
  // a diagonal entry of exactly zero has probability zero and keeps its column as it is.
  const result = new Matrix(rows, columns);
  for (let j = 0; j < narrow; j++) {
    const sign = r.get(j, j) < 0 ? -gain : gain;
    for (let i = 0; i < tall; i++) {
      const value = sign * q.get(i, j);
      if (rows >= columns) {
        result.data[i * columns + j] = value;
      } else {
        result.data[j * columns + i] = value;
      }
    }
  }
  return result;
}
