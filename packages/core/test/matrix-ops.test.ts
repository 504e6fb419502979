import fc from 'fast-check';

import { InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { add, frobeniusNorm, gram, hadamard, matMul, scale, subtract, sumAll } from '../src/matrix-ops.js';
import { SeededRandom } from '../src/random.js';

const EPSILON = Number.EPSILON;

function gaussianMatrix(rows: number, columns: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const result = new Matrix(rows, columns);
  for (let index = 0; index < result.data.length; index++) {
    result.data[index] = random.nextNormal();
  }
  return result;
}

/**
 * Plain triple loop, with Σ|aᵢₖ|·|bₖⱼ| per entry for the error bound: two summation orders of
 * the same k products each differ from the exact sum by at most γ_k·Σ|aᵢₖ·bₖⱼ| with
 * γ_k = k·ε/(1 − k·ε) (Higham, Accuracy and Stability of Numerical Algorithms, §3.1), so they
 * differ from each other by at most 2·γ_k times that sum.
 */
function naiveProduct(a: Matrix, b: Matrix): { product: Matrix; magnitude: Matrix } {
  const product = new Matrix(a.rows, b.columns);
  const magnitude = new Matrix(a.rows, b.columns);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.columns; j++) {
      let sum = 0;
      let absoluteSum = 0;
      for (let k = 0; k < a.columns; k++) {
        sum += a.get(i, k) * b.get(k, j);
        absoluteSum += Math.abs(a.get(i, k) * b.get(k, j));
      }
      product.set(i, j, sum);
      magnitude.set(i, j, absoluteSum);
    }
  }
  return { product, magnitude };
}

function largestViolation(actual: Matrix, expected: Matrix, magnitude: Matrix, depth: number): number {
  const gamma = (depth * EPSILON) / (1 - depth * EPSILON);
  let worst = 0;
  for (let index = 0; index < actual.data.length; index++) {
    const allowed = 2 * gamma * magnitude.data[index];
    worst = Math.max(worst, Math.abs(actual.data[index] - expected.data[index]) - allowed);
  }
  return worst;
}

describe('matMul', () => {
  // Sizes around the 4×4 tile, the 64-column panel and the 256-deep blocks of the kernel.
  const size = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 13, 64, 67, 130);
  const depth = fc.constantFrom(1, 3, 4, 9, 255, 256, 300);

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matches the triple loop (transposeA %p, transposeB %p)', (transposeA, transposeB) => {
    fc.assert(
      fc.property(size, size, depth, fc.integer({ min: 0, max: 1000 }), (rows, columns, inner, seed) => {
        const left = gaussianMatrix(rows, inner, seed);
        const right = gaussianMatrix(inner, columns, seed + 1);
        const a = transposeA ? left.transpose() : left;
        const b = transposeB ? right.transpose() : right;
        const { product, magnitude } = naiveProduct(left, right);

        const result = matMul(a, b, { transposeA, transposeB });
        expect(result.shape).toEqual([rows, columns]);
        expect(largestViolation(result, product, magnitude, inner)).toBeLessThanOrEqual(0);
      }),
      { seed: 21, numRuns: 25 },
    );
  });

  it('multiplies a known pair exactly', () => {
    const a = Matrix.fromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = Matrix.fromRows([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    expect(matMul(a, b).toRows()).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });

  it('returns zeros for an empty inner dimension', () => {
    expect(matMul(Matrix.zeros(2, 0), Matrix.zeros(0, 3)).toRows()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('names both shapes on mismatch', () => {
    const run = (): Matrix => matMul(Matrix.zeros(3, 4), Matrix.zeros(5, 2), { transposeA: true });
    expect(run).toThrow(ShapeMismatchError);
    expect(run).toThrow('matMul cannot multiply a (3×4, transposed to 4×3) by b (5×2): the inner dimensions 3 and 5 differ.');
  });

  it('rejects a non-boolean transpose flag', () => {
    const run = (): Matrix => matMul(Matrix.zeros(2, 2), Matrix.zeros(2, 2), { transposeB: 1 as unknown as boolean });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/options.transposeB/);
  });

  it('rejects a non-matrix operand', () => {
    expect(() => matMul(Matrix.zeros(2, 2), [[1]] as unknown as Matrix)).toThrow(/Invalid b: expected a Matrix/);
  });
});

describe('gram', () => {
  it.each(['columns', 'rows'] as const)('matches matMul for %s', (side) => {
    const a = gaussianMatrix(70, 9, 3);
    const reference = side === 'columns' ? matMul(a, a, { transposeA: true }) : matMul(a, a, { transposeB: true });
    const { magnitude } = side === 'columns' ? naiveProduct(a.transpose(), a) : naiveProduct(a, a.transpose());
    const depth = side === 'columns' ? a.rows : a.columns;
    expect(largestViolation(gram(a, side), reference, magnitude, depth)).toBeLessThanOrEqual(0);
  });

  it('returns an exactly symmetric matrix', () => {
    const result = gram(gaussianMatrix(13, 21, 4), 'columns');
    expect(result.toRows()).toEqual(result.transpose().toRows());
  });

  it('rejects an unknown side', () => {
    expect(() => gram(Matrix.zeros(2, 2), 'both' as 'rows')).toThrow(/Invalid side: expected 'columns' \(aᵀa\) or 'rows'/);
  });
});

describe('elementwise operations', () => {
  const a = Matrix.fromRows([
    [1, -2],
    [3, 0.5],
  ]);
  const b = Matrix.fromRows([
    [4, 5],
    [-6, 2],
  ]);

  it('adds', () => {
    expect(add(a, b).toRows()).toEqual([
      [5, 3],
      [-3, 2.5],
    ]);
  });

  it('subtracts', () => {
    expect(subtract(a, b).toRows()).toEqual([
      [-3, -7],
      [9, -1.5],
    ]);
  });

  it('multiplies elementwise', () => {
    expect(hadamard(a, b).toRows()).toEqual([
      [4, -10],
      [-18, 1],
    ]);
  });

  it('scales', () => {
    expect(scale(a, -2).toRows()).toEqual([
      [-2, 4],
      [-6, -1],
    ]);
  });

  it('leaves its inputs unchanged', () => {
    const before = a.toRows();
    add(a, b);
    scale(a, 3);
    expect(a.toRows()).toEqual(before);
  });

  it.each([
    ['add', add],
    ['subtract', subtract],
    ['hadamard', hadamard],
  ] as const)('%s names both shapes on mismatch', (name, operation) => {
    const run = (): Matrix => operation(Matrix.zeros(2, 3), Matrix.zeros(3, 2));
    expect(run).toThrow(ShapeMismatchError);
    expect(run).toThrow(`${name} needs matrices of equal shape, got a (2×3) and b (3×2).`);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('scale rejects factor %p', (factor) => {
    expect(() => scale(a, factor)).toThrow(/Invalid factor: expected a finite number/);
  });
});

describe('sumAll', () => {
  it('sums a small matrix', () => {
    expect(sumAll(Matrix.fromRows([[1, 2, 3]]))).toBe(6);
  });

  it('keeps the small term under cancellation', () => {
    // A plain left-to-right sum loses the 1 and returns 0.
    expect(sumAll(Matrix.fromRows([[1e16, 1, -1e16]]))).toBe(1);
  });

  it('returns 0 for an empty matrix', () => {
    expect(sumAll(Matrix.zeros(0, 4))).toBe(0);
  });
});

describe('frobeniusNorm', () => {
  it('computes a known norm', () => {
    expect(frobeniusNorm(Matrix.fromRows([[3, 4]]))).toBe(5);
  });

  it.each([1e150, 1e-150, 1e300, 1e-300])('handles entries scaled by %p', (factor) => {
    const norm = frobeniusNorm(Matrix.fromRows([[3 * factor], [4 * factor]]));
    // The scaled inputs carry one rounding each, and the norm a few more.
    expect(Math.abs(norm - 5 * factor)).toBeLessThanOrEqual(8 * EPSILON * 5 * factor);
  });

  it('handles subnormal entries', () => {
    const norm = frobeniusNorm(Matrix.fromRows([[3e-310, 4e-310]]));
    // Subnormals near 1e-310 keep about 44 significant bits.
    expect(Math.abs(norm - 5e-310)).toBeLessThanOrEqual(5e-310 * 2 ** -40);
  });

  it('returns 0 for zeros and empty matrices', () => {
    expect(frobeniusNorm(Matrix.zeros(3, 3))).toBe(0);
    expect(frobeniusNorm(Matrix.zeros(0, 3))).toBe(0);
  });

  it('propagates NaN', () => {
    expect(frobeniusNorm(Matrix.fromRows([[1, Number.NaN]]))).toBeNaN();
  });

  it('returns Infinity for an infinite entry', () => {
    expect(frobeniusNorm(Matrix.fromRows([[1, Number.NEGATIVE_INFINITY]]))).toBe(Number.POSITIVE_INFINITY);
  });
});
