import fc from 'fast-check';

import type { Factors } from '../src/collapse.js';
import { collapse } from '../src/collapse.js';
import { InvalidArgumentError } from '../src/errors.js';
import { denseFans } from '../src/fans.js';
import { drawInitializer } from '../src/initializers.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, gram, subtract } from '../src/matrix-ops.js';
import { resolveFactorizationOptions } from '../src/options.js';
import { SeededRandom } from '../src/random.js';
import {
  initializeFactors,
  spectralFactors,
  spectralInit,
  spectralInitBatched,
  standardInit,
} from '../src/spectral-init.js';
import { fullSvd } from '../src/truncated-svd.js';
import { randomMatrix } from './random-matrices.js';

const EPSILON = Number.EPSILON;

function diagonal(values: ArrayLike<number>): Matrix {
  const result = new Matrix(values.length, values.length);
  for (let i = 0; i < values.length; i++) {
    result.set(i, i, values[i]);
  }
  return result;
}

function factorData(factors: Factors): number[][] {
  const matrices = 'middle' in factors ? [factors.left, factors.middle, factors.right] : [factors.left, factors.right];
  return matrices.map((matrix) => Array.from(matrix.data));
}

function maxAbs(matrix: Matrix): number {
  return matrix.data.reduce((largest, x) => Math.max(largest, Math.abs(x)), 0);
}

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

// An exact SVD has backward error of a small multiple of n·ε·‖W‖; 64·n·ε leaves room for it.
function svdTolerance(weight: Matrix): number {
  return 64 * Math.max(weight.rows, weight.columns) * EPSILON * frobeniusNorm(weight);
}

describe('spectralFactors', () => {
  it('attains the Eckart–Young error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        fc.integer({ min: 0, max: 1000 }),
        (rows, columns, pick, seed) => {
          const weight = randomMatrix(new SeededRandom(seed), rows, columns);
          const rank = 1 + (pick % Math.min(rows, columns));
          const singularValues = fullSvd(weight).singularValues;
          let tail = 0;
          for (let i = rank; i < singularValues.length; i++) {
            tail += singularValues[i] ** 2;
          }

          const factors = spectralFactors(weight, rank, { svd: { method: 'exact' } });
          const error = frobeniusNorm(subtract(weight, collapse(factors)));
          expect(Math.abs(error - Math.sqrt(tail))).toBeLessThanOrEqual(svdTolerance(weight));
        },
      ),
      { seed: 21, numRuns: 40 },
    );
  });

  it('gives balanced factors', () => {
    const weight = randomMatrix(new SeededRandom(1), 14, 9);
    const rank = 5;
    const { left, right } = spectralFactors(weight, rank, { svd: { method: 'exact' } });
    const sigma = diagonal(fullSvd(weight).singularValues.subarray(0, rank));

    expect(frobeniusNorm(subtract(gram(left, 'columns'), sigma))).toBeLessThanOrEqual(svdTolerance(weight));
    expect(frobeniusNorm(subtract(gram(right, 'rows'), sigma))).toBeLessThanOrEqual(svdTolerance(weight));
  });

  it('has the factor shapes', () => {
    const { left, middle, right } = spectralFactors(randomMatrix(new SeededRandom(2), 7, 5), 3, { factors: 3 });

    expect(left.shape).toEqual([7, 3]);
    expect(middle.shape).toEqual([3, 3]);
    expect(right.shape).toEqual([3, 5]);
  });

  it('uses the identity middle factor', () => {
    const weight = randomMatrix(new SeededRandom(3), 6, 6);
    const pair = spectralFactors(weight, 4, { svd: { method: 'exact' } });
    const triple = spectralFactors(weight, 4, { factors: 3, svd: { method: 'exact' } });

    expect(Array.from(triple.middle.data)).toEqual(Array.from(Matrix.identity(4).data));
    expect(Array.from(triple.left.data)).toEqual(Array.from(pair.left.data));
    expect(Array.from(triple.right.data)).toEqual(Array.from(pair.right.data));
  });

  it('rejects a rank above min', () => {
    const error = catchError(() => spectralFactors(randomMatrix(new SeededRandom(4), 6, 4), 5));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('Invalid rank');
    expect(error.message).toContain('got 5.');
    expect(error.message).toContain("'standard'");
  });

  it('rejects a non-integer rank', () => {
    const error = catchError(() => spectralFactors(randomMatrix(new SeededRandom(5), 6, 4), 1.5));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('got 1.5.');
  });

  it('rejects factors 4', () => {
    const error = catchError(() => spectralFactors(randomMatrix(new SeededRandom(6), 6, 4), 2, { factors: 4 as 3 }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('Invalid factors');
  });
});

describe('spectralInit', () => {
  it('reproduces factors from a seed', () => {
    const options = { inputSize: 30, outputSize: 20, rank: 6, factors: 3 as const, seed: 42 };

    expect(factorData(spectralInit(options))).toEqual(factorData(spectralInit(options)));
  });

  it('differs between seeds', () => {
    const first = spectralInit({ inputSize: 10, outputSize: 8, rank: 3, seed: 1 });
    const second = spectralInit({ inputSize: 10, outputSize: 8, rank: 3, seed: 2 });

    expect(factorData(first)).not.toEqual(factorData(second));
  });

  it('factors the seeded dense weight', () => {
    // At full rank U·V reproduces W0, the first draw from the seeded stream.
    const seed = 7;
    const weight = drawInitializer('heNormal', 12, 9, { random: new SeededRandom(seed) });
    const factors = spectralInit({ inputSize: 12, outputSize: 9, rank: 9, kernelInitializer: 'heNormal', seed });

    expect(frobeniusNorm(subtract(collapse(factors), weight))).toBeLessThanOrEqual(svdTolerance(weight));
  });

  it('passes fans to the initializer', () => {
    // lecunUniform draws from ±√(3/fanIn), so fanIn = 400 bounds every entry by √(3/400).
    const fans = { fanIn: 400, fanOut: 400 };
    const seed = 8;
    const weight = drawInitializer('lecunUniform', 10, 6, { fans, random: new SeededRandom(seed) });
    const factors = spectralInit({
      inputSize: 10,
      outputSize: 6,
      rank: 6,
      kernelInitializer: 'lecunUniform',
      fans,
      seed,
    });

    expect(maxAbs(collapse(factors))).toBeLessThanOrEqual(Math.sqrt(3 / 400) * (1 + 1e-12));
    expect(frobeniusNorm(subtract(collapse(factors), weight))).toBeLessThanOrEqual(svdTolerance(weight));
  });

  it('takes the seed of the initializer', () => {
    const fromOptions = spectralInit({ inputSize: 8, outputSize: 8, rank: 2, seed: 5 });
    const fromInitializer = spectralInit({
      inputSize: 8,
      outputSize: 8,
      rank: 2,
      kernelInitializer: { name: 'glorotUniform', seed: 5 },
    });

    expect(factorData(fromInitializer)).toEqual(factorData(fromOptions));
  });

  it('rejects an overcomplete rank', () => {
    const error = catchError(() => spectralInit({ inputSize: 8, outputSize: 6, rank: 7, seed: 1 }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('Invalid rank');
    expect(error.message).toContain('got 7.');
    expect(error.message).toContain('gradients of both factors vanish');
  });

  it('rejects both seed and random', () => {
    const error = catchError(() =>
      spectralInit({ inputSize: 8, outputSize: 6, rank: 2, seed: 1, random: new SeededRandom(1) }),
    );

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('Invalid seed');
  });
});

describe('standardInit', () => {
  it('reproduces factors from a seed', () => {
    const options = { inputSize: 12, outputSize: 9, rank: 4, factors: 3 as const, seed: 3 };

    expect(factorData(standardInit(options))).toEqual(factorData(standardInit(options)));
  });

  it('shares U and V across factor counts', () => {
    const pair = standardInit({ inputSize: 12, outputSize: 9, rank: 4, seed: 3 });
    const triple = standardInit({ inputSize: 12, outputSize: 9, rank: 4, factors: 3, seed: 3 });

    expect(Array.from(triple.left.data)).toEqual(Array.from(pair.left.data));
    expect(Array.from(triple.right.data)).toEqual(Array.from(pair.right.data));
  });

  it('draws each factor with its own fans', () => {
    // heUniform draws from ±√(6/fanIn): fanIn is 60 for U (60 × 4) and 4 for V (4 × 50).
    const { left, right } = standardInit({
      inputSize: 60,
      outputSize: 50,
      rank: 4,
      kernelInitializer: 'heUniform',
      seed: 4,
    });
    const leftLimit = Math.sqrt(6 / 60);
    const rightLimit = Math.sqrt(6 / 4);

    expect(maxAbs(left)).toBeLessThanOrEqual(leftLimit);
    expect(maxAbs(left)).toBeGreaterThan(0.9 * leftLimit);
    expect(maxAbs(right)).toBeLessThanOrEqual(rightLimit);
    expect(maxAbs(right)).toBeGreaterThan(0.9 * rightLimit);
  });

  it('makes orthogonal factors orthogonal', () => {
    const { left, right } = standardInit({
      inputSize: 10,
      outputSize: 7,
      rank: 3,
      kernelInitializer: 'orthogonal',
      seed: 5,
    });
    const identity = Matrix.identity(3);

    expect(frobeniusNorm(subtract(gram(left, 'columns'), identity))).toBeLessThanOrEqual(1e-13);
    expect(frobeniusNorm(subtract(gram(right, 'rows'), identity))).toBeLessThanOrEqual(1e-13);
  });

  it('allows an overcomplete rank', () => {
    const { left, right } = standardInit({ inputSize: 6, outputSize: 8, rank: 12, overcomplete: true, seed: 6 });

    expect(left.shape).toEqual([6, 12]);
    expect(right.shape).toEqual([12, 8]);
  });

  it('rejects overcomplete rank without opt-in', () => {
    const error = catchError(() => standardInit({ inputSize: 6, outputSize: 8, rank: 12, seed: 6 }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('overcomplete: true');
    expect(error.message).toContain('got 12.');
  });
});

describe('initializeFactors', () => {
  it('follows spectral resolution', () => {
    const resolved = resolveFactorizationOptions({ rank: 3, factors: 3, seed: 11 }, 10, 6);
    const expected = spectralInit({ inputSize: 10, outputSize: 6, rank: 3, factors: 3, seed: 11 });

    expect(factorData(initializeFactors(resolved, 10, 6))).toEqual(factorData(expected));
  });

  it('passes fans to spectral', () => {
    const fans = denseFans(40, 40);
    const resolved = resolveFactorizationOptions({ rank: 3, seed: 12 }, 10, 6);
    const expected = spectralInit({ inputSize: 10, outputSize: 6, rank: 3, fans, seed: 12 });

    expect(factorData(initializeFactors(resolved, 10, 6, fans))).toEqual(factorData(expected));
  });

  it('follows standard resolution', () => {
    const resolved = resolveFactorizationOptions(
      { rank: 9, overcomplete: true, initialization: 'standard', seed: 13 },
      10,
      6,
    );
    const expected = standardInit({ inputSize: 10, outputSize: 6, rank: 9, overcomplete: true, seed: 13 });

    expect(factorData(initializeFactors(resolved, 10, 6))).toEqual(factorData(expected));
  });
});

describe('spectralInitBatched', () => {
  it('factors each head', () => {
    const random = new SeededRandom(14);
    const weights = [randomMatrix(random, 8, 8), randomMatrix(random, 8, 8)];
    const heads = spectralInitBatched(weights, 2, { svd: { method: 'exact' } });

    heads.forEach((head, index) => {
      expect(factorData(head)).toEqual(factorData(spectralFactors(weights[index], 2, { svd: { method: 'exact' } })));
    });
  });

  it('recovers low-rank head products', () => {
    // A product of head-sized factors has rank ≤ head size, so SI at that rank is exact.
    const random = new SeededRandom(15);
    const products = [0, 1, 2].map(() =>
      collapse({ left: randomMatrix(random, 16, 4), right: randomMatrix(random, 4, 16) }),
    );
    const heads = spectralInitBatched(products, 4);

    heads.forEach((head, index) => {
      const error = frobeniusNorm(subtract(collapse(head), products[index]));
      expect(error).toBeLessThanOrEqual(1e-10 * frobeniusNorm(products[index]));
    });
  });

  it('rejects an empty list', () => {
    const error = catchError(() => spectralInitBatched([], 2));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('Invalid weights');
  });

  it('names the weight that fails', () => {
    const random = new SeededRandom(16);
    const weights = [randomMatrix(random, 8, 8), randomMatrix(random, 8, 8)];
    weights[1].set(0, 0, Number.NaN);

    expect(() => spectralInitBatched(weights, 2)).toThrow(/weights\[1\]/);
  });
});
