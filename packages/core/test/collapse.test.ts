import { collapse, collapseConv, validateFactors } from '../src/collapse.js';
import type { ConvScheme } from '../src/conv-layout.js';
import { matricizeConvKernel } from '../src/conv-layout.js';
import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, subtract } from '../src/matrix-ops.js';
import { SeededRandom } from '../src/random.js';
import { spectralFactors } from '../src/spectral-init.js';
import { truncatedSvd } from '../src/truncated-svd.js';
import { randomMatrix } from './random-matrices.js';

const EPSILON = Number.EPSILON;

/** Textbook triple loop, the reference the blocked product is compared with. */
function naiveProduct(a: Matrix, b: Matrix): Matrix {
  const result = new Matrix(a.rows, b.columns);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.columns; j++) {
      let total = 0;
      for (let k = 0; k < a.columns; k++) {
        total += a.get(i, k) * b.get(k, j);
      }
      result.set(i, j, total);
    }
  }
  return result;
}

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

describe('collapse', () => {
  it('multiplies a factor pair', () => {
    const random = new SeededRandom(1);
    const left = randomMatrix(random, 9, 4);
    const right = randomMatrix(random, 4, 7);
    const expected = naiveProduct(left, right);

    // Each entry sums 4 products in possibly another order.
    const error = frobeniusNorm(subtract(collapse({ left, right }), expected));
    expect(error).toBeLessThanOrEqual(8 * EPSILON * frobeniusNorm(expected));
  });

  it.each([
    ['wide middle first', 2, 6, 9],
    ['tall middle last', 9, 6, 2],
  ])('multiplies a factor triple, %s', (_case, rows, rank, columns) => {
    const random = new SeededRandom(2);
    const left = randomMatrix(random, rows, rank);
    const middle = randomMatrix(random, rank, rank);
    const right = randomMatrix(random, rank, columns);
    const expected = naiveProduct(naiveProduct(left, middle), right);

    const error = frobeniusNorm(subtract(collapse({ left, middle, right }), expected));
    expect(error).toBeLessThanOrEqual(64 * rank * EPSILON * frobeniusNorm(expected));
  });

  it('equals the truncated-SVD reconstruction', () => {
    const weight = randomMatrix(new SeededRandom(3), 10, 8);
    const rank = 3;
    const svd = truncatedSvd(weight, rank, { method: 'exact' });
    const reconstruction = new Matrix(10, 8);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 8; j++) {
        let total = 0;
        for (let k = 0; k < rank; k++) {
          total += svd.leftSingularVectors.get(i, k) * svd.singularValues[k] * svd.rightSingularVectors.get(j, k);
        }
        reconstruction.set(i, j, total);
      }
    }

    const product = collapse(spectralFactors(weight, rank, { svd: { method: 'exact' } }));
    const error = frobeniusNorm(subtract(product, reconstruction));
    expect(error).toBeLessThanOrEqual(64 * EPSILON * frobeniusNorm(weight));
  });

  it('rejects factors that do not chain', () => {
    const random = new SeededRandom(4);
    const error = catchError(() => collapse({ left: randomMatrix(random, 5, 3), right: randomMatrix(random, 2, 4) }));

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('left is 5×3');
    expect(error.message).toContain('right is 2×4');
  });

  it('rejects infinite entries', () => {
    const random = new SeededRandom(5);
    const left = randomMatrix(random, 3, 2);
    left.set(2, 0, Number.POSITIVE_INFINITY);
    const error = catchError(() => collapse({ left, right: randomMatrix(random, 2, 3) }));

    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect(error.message).toContain('factors.left');
  });

  it('rejects a missing factor', () => {
    const random = new SeededRandom(6);
    const error = catchError(() => collapse({ left: randomMatrix(random, 3, 2) } as never));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('factors.right');
  });
});

describe('validateFactors', () => {
  it('names the argument', () => {
    const random = new SeededRandom(7);
    const factors = { left: randomMatrix(random, 3, 2), right: randomMatrix(random, 3, 3) };

    expect(() => validateFactors(factors, 'heads[4]')).toThrow(/heads\[4\]/);
  });
});

describe('collapseConv', () => {
  const shape: [number, number, number, number] = [3, 2, 4, 5];

  it.each<[ConvScheme]>([['paper'], ['pointwise']])('rebuilds a kernel at full rank, %s', (scheme) => {
    const random = new SeededRandom(8);
    const kernel = Float64Array.from({ length: 3 * 2 * 4 * 5 }, () => random.nextNormal());
    const matrix = matricizeConvKernel(kernel, shape, scheme);
    const rank = Math.min(matrix.rows, matrix.columns);
    const factors = spectralFactors(matrix, rank, { svd: { method: 'exact' } });

    const rebuilt = collapseConv(factors, shape, scheme);
    const difference = new Matrix(
      1,
      kernel.length,
      rebuilt.map((value, index) => value - kernel[index]),
    );
    expect(frobeniusNorm(difference)).toBeLessThanOrEqual(64 * rank * EPSILON * frobeniusNorm(matrix));
  });

  it('rejects a product of another shape', () => {
    const random = new SeededRandom(9);
    const factors = { left: randomMatrix(random, 8, 2), right: randomMatrix(random, 2, 9) };
    const error = catchError(() => collapseConv(factors, shape, 'paper'));

    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toContain('8×9');
  });
});
