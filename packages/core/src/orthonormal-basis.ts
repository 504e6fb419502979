import { multiplyRowsInto } from './matmul-kernel.js';
import type { SeededRandom } from './random.js';

// Householder QR and block orthonormalization for the truncated SVD. Vectors are the rows of
// row-major Float64Arrays, so every inner loop runs over contiguous memory. Internal: the
// package index does not re-export this file.

/** A Householder QR factorization of `count` vectors of `length` entries. */
export interface HouseholderQr {
  /** count × length, orthonormal rows, even when the vectors are linearly dependent. */
  basis: Float64Array;
  /** count × count upper triangular R, row-major: vector j = Σₖ R[k][j]·basis[k]. */
  triangular: Float64Array;
}

/**
 * Factors the rows of `vectors` (count × length, count ≤ length, left unchanged) by
 * Householder reflections, the backward-stable QR. The basis is orthonormal to rounding
 * whatever the conditioning. A zero or dependent vector gets a basis row that completes the
 * orthonormal set. Costs about 4·length·count² flops.
 */
export function householderQr(vectors: Float64Array, count: number, length: number): HouseholderQr {
  const work = vectors.slice(0, count * length);
  const betas = new Float64Array(count);
  const triangular = new Float64Array(count * count);

  for (let k = 0; k < count; k++) {
    const offset = k * length;
    const norm = vectorNorm(work, offset + k, offset + length);
    const head = work[offset + k];

    // H = I − β·u·uᵀ with u = x − α·e_k maps the tail x of row k onto α·e_k. Choosing α of
    // the opposite sign to x_k avoids cancellation in u_k, and then uᵀu = 2·‖x‖·(‖x‖ + |x_k|).
    if (norm > 0) {
      const alpha = head >= 0 ? -norm : norm;
      work[offset + k] = head - alpha;
      betas[k] = 1 / (norm * (norm + Math.abs(head)));
      triangular[k * count + k] = alpha;
      applyReflector(work, offset, k, length, betas[k], work, k + 1, count);
    }

    for (let j = k + 1; j < count; j++) {
      triangular[k * count + j] = work[j * length + k];
    }
  }

  // Basis row j is H₀·H₁·…·H_{count−1}·e_j, accumulated from the last reflector backwards.
  // Reflector k only touches entries k and later, so rows before k are still unit vectors then.
  const basis = new Float64Array(count * length);
  for (let j = 0; j < count; j++) {
    basis[j * length + j] = 1;
  }
  for (let k = count - 1; k >= 0; k--) {
    if (betas[k] !== 0) {
      applyReflector(work, k * length, k, length, betas[k], basis, k, count);
    }
  }

  return { basis, triangular };
}

/**
 * Returns `blockCount` orthonormal rows that are orthogonal to the `basisCount` orthonormal
 * rows of `basis` and span the part of `block`'s rows outside span(basis).
 *
 * Block classical Gram–Schmidt runs twice ("twice is enough"), each time followed by a
 * Householder QR of the block. A direction that lies almost inside span(basis) (the block is
 * rank-deficient there) is replaced by a Gaussian vector from `random`, so the result is an
 * orthonormal extension of the basis in every case. Requires basisCount + blockCount ≤ length.
 */
export function orthonormalizeBlock(
  basis: Float64Array,
  basisCount: number,
  block: Float64Array,
  blockCount: number,
  length: number,
  random: SeededRandom,
): Float64Array {
  if (basisCount === 0) {
    return householderQr(block, blockCount, length).basis;
  }

  const basisTransposed = transposeRows(basis, basisCount, length);
  let candidate: Float64Array = block.slice(0, blockCount * length);

  // NOTE: each attempt replaces the directions that failed by fresh Gaussian vectors, which
  // lie inside span(basis) with probability 0, so a second attempt is already rare.
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    removeProjection(candidate, blockCount, basis, basisTransposed, basisCount, length);
    const firstPass = householderQr(candidate, blockCount, length).basis;
    removeProjection(firstPass, blockCount, basis, basisTransposed, basisCount, length);

    // The rows of firstPass had unit norm. A row that kept less than WEAK_ROW_NORM of it was
    // mostly rounding noise inside span(basis), and normalizing it would amplify that noise.
    let weakRows = 0;
    for (let row = 0; row < blockCount; row++) {
      const offset = row * length;
      if (vectorNorm(firstPass, offset, offset + length) < WEAK_ROW_NORM) {
        fillGaussian(firstPass, offset, offset + length, random);
        weakRows++;
      }
    }

    if (weakRows === 0) {
      return householderQr(firstPass, blockCount, length).basis;
    }
    candidate = firstPass;
  }

  throw new Error(
    `orthonormalizeBlock found no orthonormal extension of ${basisCount} rows by ${blockCount} rows of length ${length}.`,
  );
}

const MAX_ATTEMPTS = 8;
const WEAK_ROW_NORM = 0.1;

/** Returns the Euclidean norm of data[start..end), scaling first when squares would overflow or underflow. */
export function vectorNorm(data: Float64Array, start: number, end: number): number {
  let sumOfSquares = 0;
  for (let index = start; index < end; index++) {
    sumOfSquares += data[index] * data[index];
  }
  if (sumOfSquares > 1e-290 && sumOfSquares < 1e290) {
    return Math.sqrt(sumOfSquares);
  }

  let largest = 0;
  for (let index = start; index < end; index++) {
    largest = Math.max(largest, Math.abs(data[index]));
  }
  if (largest === 0) {
    return 0;
  }
  let scaledSum = 0;
  for (let index = start; index < end; index++) {
    const ratio = data[index] / largest;
    scaledSum += ratio * ratio;
  }
  return largest * Math.sqrt(scaledSum);
}

/** Fills data[start..end) with standard normal draws. */
export function fillGaussian(data: Float64Array, start: number, end: number, random: SeededRandom): void {
  for (let index = start; index < end; index++) {
    data[index] = random.nextNormal();
  }
}

/** Returns the transpose of a rows × columns row-major array as a columns × rows one. */
export function transposeRows(data: Float64Array, rows: number, columns: number): Float64Array {
  const result = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const offset = i * columns;
    for (let j = 0; j < columns; j++) {
      result[j * rows + i] = data[offset + j];
    }
  }
  return result;
}

/** Replaces each row x of `rows` by x − Qᵀ(Q x), where the rows of Q are the orthonormal basis. */
function removeProjection(
  rows: Float64Array,
  rowCount: number,
  basis: Float64Array,
  basisTransposed: Float64Array,
  basisCount: number,
  length: number,
): void {
  const coefficients = new Float64Array(rowCount * basisCount);
  multiplyRowsInto(rows, basis, coefficients, rowCount, basisCount, length, false);
  const projection = new Float64Array(rowCount * length);
  multiplyRowsInto(coefficients, basisTransposed, projection, rowCount, length, basisCount, false);
  for (let index = 0; index < projection.length; index++) {
    rows[index] -= projection[index];
  }
}

/**
 * Applies H = I − β·u·uᵀ to entries [start, length) of rows firstRow..endRow−1 of `target`,
 * where u is reflectorSource[reflectorOffset + start .. reflectorOffset + length). Rows go in
 * groups of four, so each pass over u serves four dot products and then four updates.
 */
export function applyReflector(
  reflectorSource: Float64Array,
  reflectorOffset: number,
  start: number,
  length: number,
  beta: number,
  target: Float64Array,
  firstRow: number,
  endRow: number,
): void {
  const u = reflectorOffset;
  const span = length - start;
  let row = firstRow;

  for (; row + 4 <= endRow; row += 4) {
    const t0 = row * length + start;
    const t1 = t0 + length;
    const t2 = t1 + length;
    const t3 = t2 + length;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0; p < span; p++) {
      const value = reflectorSource[u + start + p];
      s0 += value * target[t0 + p];
      s1 += value * target[t1 + p];
      s2 += value * target[t2 + p];
      s3 += value * target[t3 + p];
    }
    s0 *= beta; s1 *= beta; s2 *= beta; s3 *= beta;
    for (let p = 0; p < span; p++) {
      const value = reflectorSource[u + start + p];
      target[t0 + p] -= s0 * value;
      target[t1 + p] -= s1 * value;
      target[t2 + p] -= s2 * value;
      target[t3 + p] -= s3 * value;
    }
  }

  for (; row < endRow; row++) {
    const t = row * length + start;
    let s = 0;
    for (let p = 0; p < span; p++) {
      s += reflectorSource[u + start + p] * target[t + p];
    }
    s *= beta;
    for (let p = 0; p < span; p++) {
      target[t + p] -= s * reflectorSource[u + start + p];
    }
  }
}
