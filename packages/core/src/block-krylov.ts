import { ConvergenceError } from './errors.js';
import { fillGaussian, orthonormalizeBlock } from './orthonormal-basis.js';
import type { SeededRandom } from './random.js';
import type { IterationPlan } from './randomized-range-finder.js';
import { multiplyRows, sumOfSquares } from './randomized-range-finder.js';
import type { RowMajorPair, Subspace } from './rayleigh-ritz.js';
import { capturedEnergy, relativeEnergyGain } from './rayleigh-ritz.js';

// Internal: the package index does not re-export this file.

/**
 * Builds an orthonormal basis of the block Krylov subspace
 * span[A·Ω, (A·Aᵀ)·A·Ω, …, (A·Aᵀ)^q·A·Ω] for a Gaussian n × blockSize Ω (Musco and Musco,
 * "Randomized Block Krylov Methods for Stronger and Faster Approximate Singular Value
 * Decomposition", NeurIPS 2015), capped at m dimensions.
 *
 * Subspace iteration keeps only the last block (A·Aᵀ)^q·A·Ω; keeping every block as well
 * gives a polynomial filter of the spectrum that separates the top singular values from the
 * rest faster, most visibly on flat spectra. Each block is orthonormalized against all
 * earlier ones (block Lanczos with full reorthogonalization), so the basis stays orthonormal
 * to rounding. Products cost 2·m·n·dimension flops, because Qᵀ·A is built block by block
 * and reused for the next block; orthonormalization adds about 4·m·dimension².
 */
export function blockKrylovSubspace(
  problem: RowMajorPair,
  blockSize: number,
  rank: number,
  plan: IterationPlan,
  random: SeededRandom,
): Subspace {
  const { m, n, data, transposed } = problem;
  const maxBlocks = plan.kind === 'fixed' ? plan.iterations + 1 : plan.maxIterations + 1;
  const capacity = Math.min(maxBlocks * blockSize, m);
  const basis = new Float64Array(capacity * m);
  const projection = new Float64Array(capacity * n);

  const testMatrix = new Float64Array(blockSize * n);
  fillGaussian(testMatrix, 0, testMatrix.length, random);
  let nextBlock = multiplyRows(testMatrix, data, blockSize, m, n);

  const totalEnergy = plan.kind === 'adaptive' ? sumOfSquares(data) : 0;
  let energy = Number.NaN;
  let gain = Infinity;
  let dimension = 0;

  for (let block = 0; block < maxBlocks && dimension < capacity; block++) {
    const size = Math.min(blockSize, capacity - dimension);
    const orthonormal = orthonormalizeBlock(basis, dimension, nextBlock, size, m, random);
    const blockProjection = multiplyRows(orthonormal, transposed, size, n, m);
    basis.set(orthonormal, dimension * m);
    projection.set(blockProjection, dimension * n);
    dimension += size;

    if (plan.kind === 'adaptive' && dimension >= rank) {
      const previous = energy;
      energy = capturedEnergy(projection.subarray(0, dimension * n), dimension, n, rank);
      gain = Number.isNaN(previous) ? Infinity : relativeEnergyGain(previous, energy, totalEnergy, dimension);
      if (gain <= plan.tolerance) {
        break;
      }
    }

    if (dimension < capacity) {
      nextBlock = multiplyRows(blockProjection, data, size, m, n);
    }
  }

  const iterations = Math.ceil(dimension / blockSize) - 1;
  if (plan.kind === 'adaptive' && gain > plan.tolerance && dimension < m) {
    throw new ConvergenceError('block Krylov SVD (relative energy gain)', iterations, gain, plan.tolerance);
  }

  return {
    basis: basis.subarray(0, dimension * m),
    projection: projection.subarray(0, dimension * n),
    dimension,
    iterations,
  };
}
