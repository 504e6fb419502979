import type { Factors } from '../src/collapse.js';
import { InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, subtract } from '../src/matrix-ops.js';
import { SeededRandom } from '../src/random.js';
import { matrixOps } from '../src/tensor-ops.js';
import { weightDecay, weightDecayBatched, weightDecayPenalty, weightDecayPenaltyBatched } from '../src/weight-decay.js';
import { randomMatrix, randomTriple } from './random-matrices.js';

const EPSILON = Number.EPSILON;

function factorMatrices(factors: Factors): Matrix[] {
  return 'middle' in factors ? [factors.left, factors.middle, factors.right] : [factors.left, factors.right];
}

function sumOfSquares(matrix: Matrix): number {
  return matrix.data.reduce((total, x) => total + x * x, 0);
}

/** Central differences; the penalty is quadratic in each entry, so only rounding error remains. */
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

describe('weightDecay', () => {
  const coefficient = 0.6;

  it('equals half λ times factor norms', () => {
    const factors = randomTriple(new SeededRandom(1), 6, 3, 5);
    const expected = (coefficient / 2) * factorMatrices(factors).reduce((total, m) => total + sumOfSquares(m), 0);

    const value = weightDecay(factors, coefficient).value;
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(8 * EPSILON * expected);
  });

  it('gives gradient λ times each factor', () => {
    const factors = randomTriple(new SeededRandom(2), 6, 3, 5);
    const { gradients } = weightDecay(factors, coefficient);
    const [left, middle, right] = factorMatrices(factors);

    expect(Array.from(gradients.left.data)).toEqual(Array.from(left.data, (x) => coefficient * x));
    expect(Array.from((gradients.middle as Matrix).data)).toEqual(Array.from(middle.data, (x) => coefficient * x));
    expect(Array.from(gradients.right.data)).toEqual(Array.from(right.data, (x) => coefficient * x));
  });

  it('matches finite differences', () => {
    const factors = randomTriple(new SeededRandom(3), 5, 2, 4);
    const { gradients } = weightDecay(factors, coefficient);
    const penalty = () => weightDecay(factors, coefficient).value;
    const [left, middle, right] = factorMatrices(factors);

    expect(relativeError(gradients.left, numericGradient(penalty, left, 1e-3))).toBeLessThan(1e-6);
    expect(relativeError(gradients.middle as Matrix, numericGradient(penalty, middle, 1e-3))).toBeLessThan(1e-6);
    expect(relativeError(gradients.right, numericGradient(penalty, right, 1e-3))).toBeLessThan(1e-6);
  });

  it('has no middle gradient for pairs', () => {
    const random = new SeededRandom(4);
    const result = weightDecay({ left: randomMatrix(random, 4, 2), right: randomMatrix(random, 2, 3) }, coefficient);

    expect(result.gradients.middle).toBeUndefined();
  });

  it('rejects a negative coefficient', () => {
    const error = catchError(() => weightDecay(randomTriple(new SeededRandom(5), 3, 2, 3), -0.5));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('coefficient');
    expect(error.message).toContain('got -0.5');
  });

  it('rejects factors that do not chain', () => {
    const random = new SeededRandom(6);
    const error = catchError(() =>
      weightDecay({ left: randomMatrix(random, 4, 2), right: randomMatrix(random, 3, 3) }, coefficient),
    );

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('4×2');
  });
});

describe('weightDecayBatched', () => {
  const random = new SeededRandom(7);
  const heads = [randomTriple(random, 5, 2, 5), randomTriple(random, 5, 2, 5)];

  it('sums the per-head penalties', () => {
    const expected = weightDecay(heads[0], 0.2).value + weightDecay(heads[1], 0.2).value;

    expect(weightDecayBatched(heads, 0.2).value).toBe(expected);
  });

  it('matches finite differences per head', () => {
    const { gradients } = weightDecayBatched(heads, 0.2);
    const penalty = () => weightDecayBatched(heads, 0.2).value;

    heads.forEach((head, index) => {
      const [left, middle, right] = factorMatrices(head);
      expect(relativeError(gradients[index].left, numericGradient(penalty, left, 1e-3))).toBeLessThan(1e-6);
      expect(relativeError(gradients[index].middle as Matrix, numericGradient(penalty, middle, 1e-3))).toBeLessThan(
        1e-6,
      );
      expect(relativeError(gradients[index].right, numericGradient(penalty, right, 1e-3))).toBeLessThan(1e-6);
    });
  });

  it('rejects an empty list', () => {
    expect(() => weightDecayBatched([], 0.2)).toThrow(InvalidArgumentError);
  });
});

describe('weightDecayPenalty', () => {
  it('equals the typed-array value', () => {
    const factors = randomTriple(new SeededRandom(8), 7, 3, 4);
    const penalty = weightDecayPenalty(matrixOps, factors, 0.9);
    const expected = weightDecay(factors, 0.9).value;

    expect(Math.abs(penalty.get(0, 0) - expected)).toBeLessThanOrEqual(8 * EPSILON * expected);
  });

  it('sums heads like the typed-array form', () => {
    const random = new SeededRandom(9);
    const heads = [randomTriple(random, 4, 2, 4), randomTriple(random, 4, 2, 4)];
    const penalty = weightDecayPenaltyBatched(matrixOps, heads, 0.9);
    const expected = weightDecayBatched(heads, 0.9).value;

    expect(Math.abs(penalty.get(0, 0) - expected)).toBeLessThanOrEqual(8 * EPSILON * expected);
  });

  it('rejects a NaN coefficient', () => {
    const error = catchError(() => weightDecayPenalty(matrixOps, randomTriple(new SeededRandom(10), 3, 2, 3), NaN));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('got NaN');
  });
});
