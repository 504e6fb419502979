import { ConvergenceError } from './errors.js';
import { multiplyRowsInto } from './matmul-kernel.js';
import { fillGaussian, orthonormalizeBlock } from './orthonormal-basis.js';
import type { SeededRandom } from './random.js';
import type { RowMajorPair, Subspace } from './rayleigh-ritz.js';
import { capturedEnergy, relativeEnergyGain } from './rayleigh-ritz.js';

// Internal: the package index does not re-export this file.

/**
 * Number of applications of A·Aᵀ in the subspace methods: a fixed count, or as many as the
 * adaptive stopping rule needs (relativeEnergyGain ≤ tolerance), at most maxIterations.
 */
export type IterationPlan =
  | { kind: 'fixed'; iterations: number }
  | { kind: 'adaptive'; tolerance: number; maxIterations: number };

/**
 * Builds an orthonormal basis of the range of A by randomized subspace iteration (Halko,
 * Martinsson and Tropp, "Finding structure with randomness", SIAM Review 2011, Algorithm 4.4):
 * Q = orth(A·Ω) for a Gaussian n × sketchSize Ω, then per iteration Q = orth(A·orth(Aᵀ·Q)).
 *
 * Each iteration raises the singular values to a higher power, which shrinks the tail's share
 * of the sketch. Orthonormalizing after every product keeps the small singular directions from
 * drowning in rounding, which a plain (A·Aᵀ)^q·A·Ω would do. Costs 2·(2q + 2)·m·n·sketchSize
 * flops for q iterations, with the last product being Qᵀ·A.
 */
export function randomizedSubspace(
  problem: RowMajorPair,
  sketchSize: number,
  rank: number,
  plan: IterationPlan,
  random: SeededRandom,
): Subspace {
  const { m, n, data, transposed } = problem;
  const empty = new Float64Array(0);

  const testMatrix = new Float64Array(sketchSize * n);
  fillGaussian(testMatrix, 0, testMatrix.length, random);
  let basis = orthonormalizeBlock(empty, 0, multiplyRows(testMatrix, data, sketchSize, m, n), sketchSize, m, random);
  let projection = multiplyRows(basis, transposed, sketchSize, n, m);

  const iterate = (): void => {
    const rightBasis = orthonormalizeBlock(empty, 0, projection, sketchSize, n, random);
    basis = orthonormalizeBlock(empty, 0, multiplyRows(rightBasis, data, sketchSize, m, n), sketchSize, m, random);
    projection = multiplyRows(basis, transposed, sketchSize, n, m);
  };

  if (plan.kind === 'fixed') {
    for (let iteration = 0; iteration < plan.iterations; iteration++) {
      iterate();
    }
    return { basis, projection, dimension: sketchSize, iterations: plan.iterations };
  }

  const totalEnergy = sumOfSquares(data);
  let energy = capturedEnergy(projection, sketchSize, n, rank);
  let gain = Infinity;
  for (let iteration = 1; iteration <= plan.maxIterations; iteration++) {
    iterate();
    const previous = energy;
    energy = capturedEnergy(projection, sketchSize, n, rank);
    gain = relativeEnergyGain(previous, energy, totalEnergy, sketchSize);
    if (gain <= plan.tolerance) {
      return { basis, projection, dimension: sketchSize, iterations: iteration };
    }
  }
  throw new ConvergenceError('randomized SVD (relative energy gain)', plan.maxIterations, gain, plan.tolerance);
}

/** Returns X·Yᵀ (rowsX × rowsY) for row-major X (rowsX × depth) and Y (rowsY × depth). */
export function multiplyRows(
  x: Float64Array,
  y: Float64Array,
  rowsX: number,
  rowsY: number,
  depth: number,
): Float64Array {
  const result = new Float64Array(rowsX * rowsY);
  multiplyRowsInto(x, y, result, rowsX, rowsY, depth, false);
  return result;
}

/** Returns Σ xᵢ², the squared Frobenius norm, for data that is already scaled to avoid overflow. */
export function sumOfSquares(data: Float64Array): number {
  let sum = 0;
  for (let index = 0; index < data.length; index++) {
    sum += data[index] * data[index];
  }
  return sum;
}
