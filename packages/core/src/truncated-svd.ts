import { SingularValueDecomposition } from 'ml-matrix';

import {
  checkKnownKeys,
  checkNonNegativeInteger,
  checkPlainObject,
  checkPositive,
  checkPositiveInteger,
  checkSeed,
} from './argument-checks.js';
import { blockKrylovSubspace } from './block-krylov.js';
import { InvalidArgumentError } from './errors.js';
import { Matrix, validateMatrix } from './matrix.js';
import { transposeRows } from './orthonormal-basis.js';
import { SeededRandom } from './random.js';
import type { IterationPlan } from './randomized-range-finder.js';
import { randomizedSubspace } from './randomized-range-finder.js';
import type { RowMajorPair, RowSingularTriplets, Subspace } from './rayleigh-ritz.js';
import { descendingOrder, rayleighRitzSvd, toMlMatrix } from './rayleigh-ritz.js';

/**
 * Algorithm of {@link truncatedSvd}: 'exact' (a full SVD by ml-matrix, then truncated),
 * 'randomized' (randomized subspace iteration), 'block-krylov' (randomized block Krylov) or
 * 'auto' (chosen from the shape and rank).
 */
export type SvdMethod = 'auto' | 'exact' | 'randomized' | 'block-krylov';

/** Options of {@link truncatedSvd}. Every option except `method` tunes the two randomized methods. */
export interface TruncatedSvdOptions {
  /**
   * Default 'auto', which picks 'exact' when min(m, n) ≤ 256 or rank > min(m, n)/5, because
   * the default Krylov subspace would then span more than half of the smaller dimension, and
   * 'block-krylov' otherwise. The other options apply only when a randomized method runs.
   * With 'exact' they must be left unset.
   */
  method?: SvdMethod;
  /**
   * Extra sketch directions beyond the rank, a non-negative integer, default 10. 'randomized'
   * sketches min(rank + oversampling, m, n) directions. 'block-krylov' uses blocks of
   * min(16, rank + oversampling, m, n) vectors and, by default, enough blocks for a subspace of
   * max(2.5·rank, rank + oversampling) dimensions.
   */
  oversampling?: number;
  /**
   * Applications of A·Aᵀ, a non-negative integer: power iterations for 'randomized' (default
   * 4), blocks after the first for 'block-krylov' (default from `oversampling`). Leave unset
   * when `tolerance` is set.
   */
  powerIterations?: number;
  /** Vectors per block of 'block-krylov', a positive integer. Default min(16, rank + oversampling). */
  blockSize?: number;
  /** Seed of the Gaussian test matrix, a safe integer. Default 0, so results are reproducible. */
  seed?: number;
  /**
   * Switches to adaptive iteration: iterate until one more application of A·Aᵀ raises the
   * energy ‖Uᵣᵀ·A‖²_F captured by the rank-r approximation by at most `tolerance` times the
   * energy still missed. A finite number > 0, unset by default.
   */
  tolerance?: number;
  /**
   * Cap on the adaptive iterations, a positive integer, default 30. Throws ConvergenceError
   * when reached before `tolerance`. Needs `tolerance`.
   */
  maxIterations?: number;
}

/**
 * The top singular triplets of an m × n matrix A, so that A ≈ U·diag(σ)·Vᵀ is its best
 * rank-r approximation (exactly for 'exact', approximately for the randomized methods).
 */
export interface TruncatedSvd {
  /** U, m × r with orthonormal columns. */
  leftSingularVectors: Matrix;
  /** σ, r values in descending order, all ≥ 0. */
  singularValues: Float64Array;
  /** V, n × r with orthonormal columns. */
  rightSingularVectors: Matrix;
  /** The method that ran, with 'auto' resolved. */
  method: Exclude<SvdMethod, 'auto'>;
}

const METHODS: readonly SvdMethod[] = ['auto', 'exact', 'randomized', 'block-krylov'];
const OPTION_NAMES = ['method', 'oversampling', 'powerIterations', 'blockSize', 'seed', 'tolerance', 'maxIterations'];
const RANDOMIZED_OPTION_NAMES = OPTION_NAMES.filter((name) => name !== 'method');

const AUTO_EXACT_MAX_SIZE = 256;
const AUTO_EXACT_RANK_FRACTION = 1 / 5;
const DEFAULT_OVERSAMPLING = 10;
const DEFAULT_POWER_ITERATIONS = 4;
const DEFAULT_MAX_ITERATIONS = 30;
const DEFAULT_SEED = 0;
const KRYLOV_MAX_BLOCK_SIZE = 16;
// NOTE: 2.5·rank is an empirical choice for flat spectra. On a 1024 × 1024 Gaussian matrix at
// rank 128, subspaces of 256, 288 and 320 dimensions in blocks of 16 gave Frobenius errors
// 1.017, 1.0097 and 1.0051 times the optimum (blocks of 32: 1.015 at 256, 1.0069 at 320).
const KRYLOV_DIMENSION_FACTOR = 2.5;

/**
 * Computes the top `rank` singular triplets of `matrix` (m × n).
 *
 * 'exact' runs ml-matrix's SVD (Golub–Kahan bidiagonalization, then shifted QR) on the
 * whole matrix, O(m·n·min(m, n)), and keeps the top `rank` triplets. The randomized methods
 * build a subspace from a Gaussian test matrix and return the best rank-r approximation
 * within it. 'randomized' costs about 4·(q + 1)·m·n·(rank + oversampling) flops for q power
 * iterations, 'block-krylov' about 2·m·n·d for a subspace of d dimensions (2.5·rank by
 * default). Their Frobenius error ‖A − U·Σ·Vᵀ‖_F is never below the optimum
 * (Σ_{i>r} σᵢ²)^½, comes close to it, and equals it up to rounding when A has rank ≤ the
 * subspace dimension.
 *
 * The matrix is scaled by a power of two before the work and the values scaled back, so
 * entries near 1e±150 cost no accuracy. Each pair (uᵢ, vᵢ) is signed so that the entry of uᵢ
 * with the largest magnitude is positive, so the signs do not depend on the method.
 *
 * Throws InvalidArgumentError for an empty matrix, a rank that is not an integer in
 * [1, min(m, n)] or an invalid option (naming it), NonFiniteValueError for NaN or ±Infinity
 * entries, and ConvergenceError when adaptive iteration reaches `maxIterations`.
 */
export function truncatedSvd(matrix: Matrix, rank: number, options: TruncatedSvdOptions = {}): TruncatedSvd {
  if (!(matrix instanceof Matrix)) {
    throw new InvalidArgumentError('matrix', matrix, 'a Matrix');
  }
  validateMatrix('matrix', matrix);
  const smaller = Math.min(matrix.rows, matrix.columns);
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1 || rank > smaller) {
    throw new InvalidArgumentError(
      'rank',
      rank,
      `an integer in [1, ${smaller}] for a ${matrix.rows}×${matrix.columns} matrix`,
    );
  }

  const settings = resolveOptions(options, matrix.rows, matrix.columns, rank);
  const { scaled, exponent } = scaleToUnitRange(matrix);

  const triplets =
    settings.method === 'exact'
      ? exactTriplets(scaled, rank)
      : randomizedTriplets(scaled, rank, settings);

  return assembleResult(triplets, matrix.rows, matrix.columns, rank, 2 ** exponent, settings.method);
}

/**
 * Computes all min(m, n) singular triplets of `matrix` with the exact method, so that
 * U·diag(σ)·Vᵀ reproduces it to rounding. Throws as {@link truncatedSvd} does.
 */
export function fullSvd(matrix: Matrix): TruncatedSvd {
  if (!(matrix instanceof Matrix)) {
    throw new InvalidArgumentError('matrix', matrix, 'a Matrix');
  }
  validateMatrix('matrix', matrix);
  return truncatedSvd(matrix, Math.min(matrix.rows, matrix.columns), { method: 'exact' });
}

interface ResolvedSettings {
  method: Exclude<SvdMethod, 'auto'>;
  oversampling: number;
  blockSize: number;
  plan: IterationPlan;
  seed: number;
}

function resolveOptions(options: TruncatedSvdOptions, m: number, n: number, rank: number): ResolvedSettings {
  const untyped: unknown = options;
  checkPlainObject('options', untyped);
  checkKnownKeys('truncatedSvd', untyped, OPTION_NAMES);

  const requested = options.method ?? 'auto';
  if (!METHODS.includes(requested)) {
    throw new InvalidArgumentError('options.method', requested, `one of ${METHODS.map((name) => `'${name}'`).join(', ')}`);
  }

  if (requested === 'exact') {
    for (const name of RANDOMIZED_OPTION_NAMES) {
      const value = untyped[name];
      if (value !== undefined) {
        throw new InvalidArgumentError(`options.${name}`, value, "undefined with method 'exact', which does not use it");
      }
    }
  }
  if (options.oversampling !== undefined) {
    checkNonNegativeInteger('options.oversampling', options.oversampling);
  }
  if (options.powerIterations !== undefined) {
    checkNonNegativeInteger('options.powerIterations', options.powerIterations);
  }
  if (options.blockSize !== undefined) {
    checkPositiveInteger('options.blockSize', options.blockSize);
    if (requested === 'randomized') {
      throw new InvalidArgumentError('options.blockSize', options.blockSize, "undefined with method 'randomized'");
    }
  }
  if (options.seed !== undefined) {
    checkSeed('options.seed', options.seed);
  }
  if (options.tolerance !== undefined) {
    checkPositive('options.tolerance', options.tolerance);
    if (options.powerIterations !== undefined) {
      throw new InvalidArgumentError(
        'options.powerIterations',
        options.powerIterations,
        'undefined when options.tolerance is set, because tolerance decides the number of iterations',
      );
    }
  }
  if (options.maxIterations !== undefined) {
    checkPositiveInteger('options.maxIterations', options.maxIterations);
    if (options.tolerance === undefined) {
      throw new InvalidArgumentError('options.maxIterations', options.maxIterations, 'undefined unless options.tolerance is set');
    }
  }

  const smaller = Math.min(m, n);
  const method =
    requested !== 'auto'
      ? requested
      : smaller <= AUTO_EXACT_MAX_SIZE || rank > smaller * AUTO_EXACT_RANK_FRACTION
        ? 'exact'
        : 'block-krylov';

  const oversampling = options.oversampling ?? DEFAULT_OVERSAMPLING;
  const sketchSize = Math.min(rank + oversampling, smaller);
  const blockSize = options.blockSize ?? Math.min(KRYLOV_MAX_BLOCK_SIZE, sketchSize);
  const plan = resolvePlan(options, method, rank, sketchSize, blockSize, smaller);

  return { method, oversampling, blockSize, plan, seed: options.seed ?? DEFAULT_SEED };
}

function resolvePlan(
  options: TruncatedSvdOptions,
  method: Exclude<SvdMethod, 'auto'>,
  rank: number,
  sketchSize: number,
  blockSize: number,
  smaller: number,
): IterationPlan {
  if (options.tolerance !== undefined) {
    const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    if (method === 'block-krylov' && Math.min(blockSize * (maxIterations + 1), smaller) < rank) {
      throw new InvalidArgumentError(
        'options.maxIterations',
        maxIterations,
        `at least ${Math.ceil(rank / blockSize) - 1} so that blocks of ${blockSize} can reach rank ${rank}`,
      );
    }
    return { kind: 'adaptive', tolerance: options.tolerance, maxIterations };
  }

  if (method !== 'block-krylov') {
    return { kind: 'fixed', iterations: options.powerIterations ?? DEFAULT_POWER_ITERATIONS };
  }

  const targetDimension = Math.max(Math.ceil(KRYLOV_DIMENSION_FACTOR * rank), sketchSize);
  const iterations = options.powerIterations ?? Math.ceil(targetDimension / blockSize) - 1;
  if (Math.min(blockSize * (iterations + 1), smaller) < rank) {
    throw new InvalidArgumentError(
      'options.powerIterations',
      iterations,
      `at least ${Math.ceil(rank / blockSize) - 1} so that blocks of ${blockSize} reach rank ${rank}`,
    );
  }
  return { kind: 'fixed', iterations };
}

/**
 * Returns a copy of the matrix scaled by 2^−exponent so that its largest magnitude lies in
 * [1, 2). Scaling by a power of two is exact, and it keeps squares and products of entries
 * far from overflow and underflow.
 */
function scaleToUnitRange(matrix: Matrix): { scaled: Matrix; exponent: number } {
  let largest = 0;
  for (const value of matrix.data) {
    largest = Math.max(largest, Math.abs(value));
  }
  if (largest === 0) {
    return { scaled: matrix.clone(), exponent: 0 };
  }

  // 2^1022 is the largest power of two whose inverse is still a normal number.
  const exponent = Math.max(Math.floor(Math.log2(largest)), -1022);
  const factor = 2 ** -exponent;
  const scaled = new Matrix(matrix.rows, matrix.columns);
  for (let index = 0; index < scaled.data.length; index++) {
    scaled.data[index] = matrix.data[index] * factor;
  }
  return { scaled, exponent };
}

/** Full SVD by ml-matrix on the taller orientation, then the top `rank` triplets as rows. */
function exactTriplets(matrix: Matrix, rank: number): RowSingularTriplets {
  const transposed = matrix.rows < matrix.columns;
  const tall = transposed ? matrix.transpose() : matrix;

  // NOTE: ml-matrix warns on the console for wide matrices, so the wide case is transposed here.
  const svd = new SingularValueDecomposition(toMlMatrix(tall.data, tall.rows, tall.columns));
  const order = descendingOrder(svd.diagonal);
  const tallLeft = svd.leftSingularVectors;
  const tallRight = svd.rightSingularVectors;

  const values = new Float64Array(rank);
  const tallLeftRows = new Float64Array(rank * tall.rows);
  const tallRightRows = new Float64Array(rank * tall.columns);
  for (let i = 0; i < rank; i++) {
    const source = order[i];
    values[i] = Math.max(svd.diagonal[source], 0);
    for (let k = 0; k < tall.rows; k++) {
      tallLeftRows[i * tall.rows + k] = tallLeft.get(k, source);
    }
    for (let k = 0; k < tall.columns; k++) {
      tallRightRows[i * tall.columns + k] = tallRight.get(k, source);
    }
  }

  return transposed
    ? { left: tallRightRows, values, right: tallLeftRows }
    : { left: tallLeftRows, values, right: tallRightRows };
}

/** Runs a randomized method on the wide orientation (m ≤ n), so that basis vectors are the shorter ones. */
function randomizedTriplets(matrix: Matrix, rank: number, settings: ResolvedSettings): RowSingularTriplets {
  const transposed = matrix.rows > matrix.columns;
  const rowData = matrix.data;
  const columnData = transposeRows(rowData, matrix.rows, matrix.columns);
  const problem: RowMajorPair = transposed
    ? { m: matrix.columns, n: matrix.rows, data: columnData, transposed: rowData }
    : { m: matrix.rows, n: matrix.columns, data: rowData, transposed: columnData };

  const random = new SeededRandom(settings.seed);
  const sketchSize = Math.min(rank + settings.oversampling, problem.m);
  const subspace: Subspace =
    settings.method === 'randomized'
      ? randomizedSubspace(problem, sketchSize, rank, settings.plan, random)
      : blockKrylovSubspace(problem, settings.blockSize, rank, settings.plan, random);

  const triplets = rayleighRitzSvd(subspace.basis, subspace.projection, subspace.dimension, problem.m, problem.n, rank);
  return transposed ? { left: triplets.right, values: triplets.values, right: triplets.left } : triplets;
}

/** Rescales the values, fixes the signs and turns the row-stored vectors into m × r and n × r matrices. */
function assembleResult(
  triplets: RowSingularTriplets,
  m: number,
  n: number,
  rank: number,
  valueScale: number,
  method: Exclude<SvdMethod, 'auto'>,
): TruncatedSvd {
  const { left, values, right } = triplets;

  for (let i = 0; i < rank; i++) {
    let largestIndex = i * m;
    for (let k = i * m; k < (i + 1) * m; k++) {
      if (Math.abs(left[k]) > Math.abs(left[largestIndex])) {
        largestIndex = k;
      }
    }
    if (left[largestIndex] < 0) {
      for (let k = i * m; k < (i + 1) * m; k++) {
        left[k] = -left[k];
      }
      for (let k = i * n; k < (i + 1) * n; k++) {
        right[k] = -right[k];
      }
    }
  }

  const singularValues = new Float64Array(rank);
  for (let i = 0; i < rank; i++) {
    singularValues[i] = values[i] * valueScale;
  }

  return {
    leftSingularVectors: new Matrix(m, rank, transposeRows(left, rank, m)),
    singularValues,
    rightSingularVectors: new Matrix(n, rank, transposeRows(right, rank, n)),
    method,
  };
}
