import { Matrix } from '../src/matrix.js';
import { matMul } from '../src/matrix-ops.js';
import { householderQr } from '../src/orthonormal-basis.js';
import { SeededRandom } from '../src/random.js';

/** Draws an m × n matrix of independent standard normal entries. */
export function gaussianMatrix(rows: number, columns: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const result = new Matrix(rows, columns);
  for (let index = 0; index < result.data.length; index++) {
    result.data[index] = random.nextNormal();
  }
  return result;
}

/**
 * Builds a size × size matrix P·diag(values)·Qᵀ with P and Q orthogonal, from Householder QR
 * of Gaussian matrices, so its singular values are exactly `values` up to rounding.
 */
export function matrixWithSpectrum(size: number, values: readonly number[], seed: number): Matrix {
  const left = householderQr(gaussianMatrix(size, size, seed).data, size, size).basis;
  const right = householderQr(gaussianMatrix(size, size, seed + 1).data, size, size).basis;

  // The rows of `left` and `right` are the columns of P and Q.
  const scaledLeft = new Matrix(size, size, left);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      scaledLeft.data[i * size + j] *= values[i];
    }
  }
  return matMul(scaledLeft, new Matrix(size, size, right), { transposeA: true });
}

/** Returns (Σ_{i ≥ rank} values[i]²)^½, the Frobenius error of the best rank-`rank` approximation. */
export function optimalError(values: ArrayLike<number>, rank: number): number {
  let sum = 0;
  for (let i = rank; i < values.length; i++) {
    sum += values[i] * values[i];
  }
  return Math.sqrt(sum);
}
