import fc from 'fast-check';

import type { Factors } from '../src/collapse.js';
import { collapse } from '../src/collapse.js';
import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from '../src/errors.js';
import type { FactorTensors } from '../src/frobenius-decay.js';
import {
  frobeniusDecay,
  frobeniusDecayBatched,
  frobeniusDecayPenalty,
  frobeniusDecayPenaltyBatched,
} from '../src/frobenius-decay.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, matMul, subtract } from '../src/matrix-ops.js';
import { SeededRandom } from '../src/random.js';
import { matrixOps } from '../src/tensor-ops.js';
import { randomMatrix, randomPair, randomTriple } from './random-matrices.js';

const EPSILON = Number.EPSILON;

function factorMatrices(factors: Factors): Matrix[] {
  return 'middle' in factors ? [factors.left, factors.middle, factors.right] : [factors.left, factors.right];
}

/**
 * Central differences of `penalty` with respect to every entry of `matrix`. The penalties
 * tested here are quadratic in each single entry, so central differences have no truncation
 * error, and the remaining error is rounding, about ε·|penalty| / step per entry.
 */
function numericGradient(penalty: () => number, matrix: Matrix, step: number): Matrix {
  const gradient = new Matrix(matrix.rows, matrix.columns);
  for (let index = 0; index < matrix.data.length; index++) {
    const original = matrix.data[index];
    matrix.data[index] = original + step;
    const above = penalty();
    matrix.data[index] = original - step;
    const below = penalty();
    matrix.data[index] = original;
    gradient.data[index] = (above - below) / (2 * step);
  }
  return gradient;
}

function scaled(matrix: Matrix, factor: number): Matrix {
  return new Matrix(
    matrix.rows,
    matrix.columns,
    matrix.data.map((x) => factor * x),
  );
}

function relativeError(actual: Matrix, expected: Matrix): number {
  return frobeniusNorm(subtract(actual, expected)) / frobeniusNorm(expected);
}

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

const STEP = 1e-3;
const GRADIENT_TOLERANCE = 1e-6;

describe('frobeniusDecay', () => {
  it('equals half λ times squared product norm', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (rows, rank, columns, threeFactors, seed) => {
          const random = new SeededRandom(seed);
          const factors = threeFactors
            ? randomTriple(random, rows, rank, columns)
            : randomPair(random, rows, rank, columns);
          const coefficient = 0.3;
          const expected = (coefficient / 2) * frobeniusNorm(collapse(factors)) ** 2;

          // Each side accumulates about rows + rank + columns roundings per entry.
          const value = frobeniusDecay(factors, coefficient).value;
          const tolerance = 64 * (rows + rank + columns) * EPSILON * expected;
          expect(Math.abs(value - expected)).toBeLessThanOrEqual(tolerance);
        },
      ),
      { seed: 17, numRuns: 60 },
    );
  });

  it('matches finite differences, two factors', () => {
    const factors = randomPair(new SeededRandom(1), 7, 3, 5);
    const coefficient = 0.7;
    const { gradients } = frobeniusDecay(factors, coefficient);
    const penalty = () => frobeniusDecay(factors, coefficient).value;

    expect(relativeError(gradients.left, numericGradient(penalty, factors.left, STEP))).toBeLessThan(
      GRADIENT_TOLERANCE,
    );
    expect(relativeError(gradients.right, numericGradient(penalty, factors.right, STEP))).toBeLessThan(
      GRADIENT_TOLERANCE,
    );
    expect(gradients.middle).toBeUndefined();
  });

  it('matches finite differences, three factors', () => {
    const factors = randomTriple(new SeededRandom(2), 6, 4, 5);
    const coefficient = 0.7;
    const { gradients } = frobeniusDecay(factors, coefficient);
    const penalty = () => frobeniusDecay(factors, coefficient).value;
    const [left, middle, right] = factorMatrices(factors);

    expect(relativeError(gradients.left, numericGradient(penalty, left, STEP))).toBeLessThan(GRADIENT_TOLERANCE);
    expect(gradients.middle).toBeDefined();
    expect(relativeError(gradients.middle as Matrix, numericGradient(penalty, middle, STEP))).toBeLessThan(
      GRADIENT_TOLERANCE,
    );
    expect(relativeError(gradients.right, numericGradient(penalty, right, STEP))).toBeLessThan(GRADIENT_TOLERANCE);
  });

  it('gives the explicit product gradients', () => {
    // λ·W·Vᵀ for U and λ·Uᵀ·W for V, with W = U·V formed explicitly.
    const factors = randomPair(new SeededRandom(3), 8, 3, 6);
    const { left, right } = factors;
    const coefficient = 1.5;
    const product = collapse(factors);
    const { gradients } = frobeniusDecay(factors, coefficient);

    const expectedLeft = matMul(product, right, { transposeB: true });
    const expectedRight = matMul(left, product, { transposeA: true });
    expect(relativeError(gradients.left, scaled(expectedLeft, coefficient))).toBeLessThan(1e-13);
    expect(relativeError(gradients.right, scaled(expectedRight, coefficient))).toBeLessThan(1e-13);
  });

  it('is zero for zero coefficient', () => {
    const factors = randomTriple(new SeededRandom(4), 5, 2, 4);
    const result = frobeniusDecay(factors, 0);

    expect(result.value).toBe(0);
    expect(frobeniusNorm(result.gradients.left)).toBe(0);
    expect(frobeniusNorm(result.gradients.middle as Matrix)).toBe(0);
    expect(frobeniusNorm(result.gradients.right)).toBe(0);
  });

  it('leaves the factors unchanged', () => {
    const factors = randomTriple(new SeededRandom(5), 5, 2, 4);
    const copies = factorMatrices(factors).map((matrix) => matrix.clone());
    frobeniusDecay(factors, 0.5);

    factorMatrices(factors).forEach((matrix, index) => expect(matrix.data).toEqual(copies[index].data));
  });

  it.each([
    ['NaN', Number.NaN],
    ['negative', -0.1],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('rejects a %s coefficient', (_case, coefficient) => {
    const error = catchError(() => frobeniusDecay(randomPair(new SeededRandom(6), 3, 2, 3), coefficient));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('coefficient');
    expect(error.message).toContain(`got ${coefficient}`);
  });

  it('rejects factors that do not chain', () => {
    const random = new SeededRandom(7);
    const error = catchError(() =>
      frobeniusDecay({ left: randomMatrix(random, 7, 3), right: randomMatrix(random, 4, 5) }, 0.1),
    );

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('7×3');
    expect(error.message).toContain('4×5');
  });

  it('rejects a middle factor that does not chain', () => {
    const random = new SeededRandom(8);
    const factors = {
      left: randomMatrix(random, 7, 3),
      middle: randomMatrix(random, 2, 2),
      right: randomMatrix(random, 2, 5),
    };
    const error = catchError(() => frobeniusDecay(factors, 0.1));

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('middle is 2×2');
  });

  it('rejects NaN entries', () => {
    const factors = randomPair(new SeededRandom(9), 4, 2, 3);
    factors.right.set(1, 2, Number.NaN);
    const error = catchError(() => frobeniusDecay(factors, 0.1));

    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect(error.message).toContain('factors.right');
    expect(error.message).toContain('row 1, column 2');
  });
});

describe('frobeniusDecayBatched', () => {
  const random = new SeededRandom(10);
  const heads = [randomPair(random, 6, 2, 6), randomPair(random, 6, 2, 6), randomTriple(random, 6, 2, 6)];
  const coefficient = 0.4;

  it('sums the per-head penalties', () => {
    const expected = heads.reduce((total, head) => total + frobeniusDecay(head, coefficient).value, 0);

    expect(frobeniusDecayBatched(heads, coefficient).value).toBe(expected);
  });

  it('matches finite differences per head', () => {
    const { gradients } = frobeniusDecayBatched(heads, coefficient);
    const penalty = () => frobeniusDecayBatched(heads, coefficient).value;

    heads.forEach((head, index) => {
      const [left, ...rest] = factorMatrices(head);
      const right = rest[rest.length - 1];
      expect(relativeError(gradients[index].left, numericGradient(penalty, left, STEP))).toBeLessThan(
        GRADIENT_TOLERANCE,
      );
      expect(relativeError(gradients[index].right, numericGradient(penalty, right, STEP))).toBeLessThan(
        GRADIENT_TOLERANCE,
      );
    });
    expect(
      relativeError(gradients[2].middle as Matrix, numericGradient(penalty, factorMatrices(heads[2])[1], STEP)),
    ).toBeLessThan(GRADIENT_TOLERANCE);
  });

  it('rejects an empty list', () => {
    const error = catchError(() => frobeniusDecayBatched([], coefficient));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('heads');
  });

  it('names the head that fails', () => {
    const broken = [heads[0], { left: randomMatrix(random, 6, 2), right: randomMatrix(random, 3, 6) }];
    const error = catchError(() => frobeniusDecayBatched(broken, coefficient));

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('heads[1]');
  });
});

describe('frobeniusDecayPenalty', () => {
  function asTensors(factors: Factors): FactorTensors<Matrix> {
    return factors;
  }

  it.each([
    ['two factors', randomPair(new SeededRandom(11), 9, 4, 7)],
    ['three factors', randomTriple(new SeededRandom(12), 9, 4, 7)],
  ])('equals the typed-array value, %s', (_case, factors) => {
    const penalty = frobeniusDecayPenalty(matrixOps, asTensors(factors), 0.8);
    const expected = frobeniusDecay(factors, 0.8).value;

    expect(penalty.shape).toEqual([1, 1]);
    expect(Math.abs(penalty.get(0, 0) - expected)).toBeLessThanOrEqual(16 * EPSILON * expected);
  });

  it('sums heads like the typed-array form', () => {
    const random = new SeededRandom(13);
    const heads = [randomPair(random, 5, 2, 5), randomTriple(random, 5, 2, 5)];
    const penalty = frobeniusDecayPenaltyBatched(matrixOps, heads, 0.8);
    const expected = frobeniusDecayBatched(heads, 0.8).value;

    expect(Math.abs(penalty.get(0, 0) - expected)).toBeLessThanOrEqual(16 * EPSILON * expected);
  });

  it('rejects a negative coefficient', () => {
    const error = catchError(() => frobeniusDecayPenalty(matrixOps, randomPair(new SeededRandom(14), 3, 2, 3), -1));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('got -1');
  });
});
