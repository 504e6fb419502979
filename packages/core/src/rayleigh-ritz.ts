import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';

import { multiplyRowsInto } from './matmul-kernel.js';
import { householderQr, transposeRows } from './orthonormal-basis.js';
import { topSymmetricEigenpairs, topSymmetricEigenvalues } from './symmetric-eigen.js';

// The last step of the randomized and block Krylov SVDs: the best rank-r approximation of A
// within a subspace. Internal: the package index does not re-export this file.

/**
 * A matrix A (m × n, m ≤ n) stored row-major twice, as A and as Aᵀ, so that every product
 * with A or Aᵀ reads both operands along rows.
 */
export interface RowMajorPair {
  m: number;
  n: number;
  data: Float64Array;
  transposed: Float64Array;
}

/**
 * An orthonormal basis Q of a subspace of Rᵐ (its rows) with the projection Qᵀ·A and the
 * number of iterations (applications of A·Aᵀ) that built it.
 */
export interface Subspace {
  basis: Float64Array;
  projection: Float64Array;
  dimension: number;
  iterations: number;
}

/** Singular triplets with the vectors stored as rows: left is rank × m, right is rank × n. */
export interface RowSingularTriplets {
  left: Float64Array;
  values: Float64Array;
  right: Float64Array;
}

/**
 * Extra Ritz directions kept beyond the rank when a large subspace is compressed before the
 * final SVD. They keep the boundary between kept and dropped directions away from the
 * r-th singular value, where the eigenvectors of the Gram matrix are least accurate.
 */
const COMPRESSION_MARGIN = 8;

/**
 * Returns the top `rank` singular triplets of Q·Qᵀ·A, the projection of A (m × n) onto the
 * span of the `dimension` orthonormal rows of `basis` (Q, dimension × m), given
 * `projection` = Qᵀ·A (dimension × n).
 *
 * These are the Rayleigh–Ritz approximations of A's singular triplets from that subspace,
 * and U·Σ·Vᵀ is the best rank-r approximation of A whose column space lies in it. A subspace
 * larger than rank + 8 is first compressed to its top rank + 8 Ritz directions, the leading
 * eigenvectors of the dimension × dimension Gram matrix Qᵀ·A·Aᵀ·Q, which cost less than an
 * SVD of that size. The kept directions then go through a Householder QR and an SVD of
 * the small triangular factor, so U and V are orthonormal to a few ulps and small singular
 * values keep their absolute accuracy. Values are descending and ≥ 0.
 */
export function rayleighRitzSvd(
  basis: Float64Array,
  projection: Float64Array,
  dimension: number,
  m: number,
  n: number,
  rank: number,
): RowSingularTriplets {
  let keptBasis = basis;
  let keptProjection = projection;
  let kept = dimension;

  const target = Math.min(dimension, rank + COMPRESSION_MARGIN);
  if (dimension > target) {
    const { vectors } = topSymmetricEigenpairs(gramOfRows(projection, dimension, n), dimension, target);
    // The rows of `vectors` (target × dimension) are the top eigenvectors of Z·Zᵀ.
    keptBasis = multiplyByRows(vectors, basis, target, dimension, m);
    keptProjection = multiplyByRows(vectors, projection, target, dimension, n);
    kept = target;
  }

  // projection = Rᵀ·P with orthonormal rows P, so Q·Qᵀ·A = Qᵀ·Rᵀ·P and an SVD of Rᵀ finishes.
  const { basis: rightBasis, triangular } = householderQr(keptProjection, kept, n);
  const transposedTriangular = transposeRows(triangular, kept, kept);
  const svd = new SingularValueDecomposition(toMlMatrix(transposedTriangular, kept, kept));

  const order = descendingOrder(svd.diagonal);
  const values = new Float64Array(rank);
  const leftRotation = new Float64Array(rank * kept);
  const rightRotation = new Float64Array(rank * kept);
  const leftVectors = svd.leftSingularVectors;
  const rightVectors = svd.rightSingularVectors;
  for (let i = 0; i < rank; i++) {
    const source = order[i];
    values[i] = Math.max(svd.diagonal[source], 0);
    for (let k = 0; k < kept; k++) {
      leftRotation[i * kept + k] = leftVectors.get(k, source);
      rightRotation[i * kept + k] = rightVectors.get(k, source);
    }
  }

  return {
    left: multiplyByRows(leftRotation, keptBasis, rank, kept, m),
    values,
    right: multiplyByRows(rightRotation, rightBasis, rank, kept, n),
  };
}

/**
 * Returns Σ of the `rank` largest squared Ritz values of the subspace, the energy
 * ‖Uᵣᵀ·A‖²_F that the best rank-r approximation from it captures, from the eigenvalues of
 * projection·projectionᵀ.
 */
export function capturedEnergy(projection: Float64Array, dimension: number, n: number, rank: number): number {
  const values = topSymmetricEigenvalues(gramOfRows(projection, dimension, n), dimension, Math.min(rank, dimension));
  let energy = 0;
  for (const value of values) {
    energy += Math.max(value, 0);
  }
  return energy;
}

/**
 * Returns the stopping statistic of the adaptive iterations: the captured-energy gain of the
 * last iteration relative to the energy still missed, (Eₜ − Eₜ₋₁)/(‖A‖²_F − Eₜ). It is 0 once
 * the missed energy is within rounding (8·dimension·ε·‖A‖²_F, as for a matrix of rank below
 * the subspace dimension), because then no gain can be measured.
 */
export function relativeEnergyGain(
  previous: number,
  current: number,
  totalEnergy: number,
  dimension: number,
): number {
  const missed = totalEnergy - current;
  if (missed <= 8 * dimension * Number.EPSILON * totalEnergy) {
    return 0;
  }
  return (current - previous) / missed;
}

/** Copies a row-major array into an ml-matrix Matrix. */
export function toMlMatrix(data: Float64Array, rows: number, columns: number): MlMatrix {
  const result = new MlMatrix(rows, columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      result.set(i, j, data[i * columns + j]);
    }
  }
  return result;
}

/** Returns the indices of `values` from the largest value to the smallest (a stable order). */
export function descendingOrder(values: ArrayLike<number>): number[] {
  return Array.from(values, (_value, index) => index).sort((a, b) => values[b] - values[a] || a - b);
}

/** Returns Z·Zᵀ (rows × rows, exactly symmetric) for Z = rows × n, row-major. */
function gramOfRows(rowsOfZ: Float64Array, rows: number, n: number): Float64Array {
  const gram = new Float64Array(rows * rows);
  multiplyRowsInto(rowsOfZ, rowsOfZ, gram, rows, rows, n, true);
  for (let i = 0; i < rows; i++) {
    for (let j = i + 1; j < rows; j++) {
      gram[j * rows + i] = gram[i * rows + j];
    }
  }
  return gram;
}

/** Returns C = W·X (count × length) for W (count × inner) and X (inner × length), row-major. */
function multiplyByRows(
  weights: Float64Array,
  rows: Float64Array,
  count: number,
  inner: number,
  length: number,
): Float64Array {
  const result = new Float64Array(count * length);
  multiplyRowsInto(weights, transposeRows(rows, inner, length), result, count, length, inner, false);
  return result;
}
