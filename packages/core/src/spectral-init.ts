import { checkPlainObject, checkPositiveInteger } from './argument-checks.js';
import type { Factors, FactorPair, FactorTriple } from './collapse.js';
import { InvalidArgumentError } from './errors.js';
import type { Fans } from './fans.js';
import { denseFans } from './fans.js';
import type { InitializerConfig, InitializerSpec } from './initializers.js';
import { drawInitializer, resolveInitializer } from './initializers.js';
import { Matrix, validateMatrix } from './matrix.js';
import type { ResolvedFactorization } from './options.js';
import { randomSeed, SeededRandom } from './random.js';
import type { TruncatedSvdOptions } from './truncated-svd.js';
import { truncatedSvd } from './truncated-svd.js';

/** Options of `spectralFactors` and `spectralInitBatched`. */
export interface SpectralFactorsOptions {
  /** 2 for U·V, 3 for U·M·V with M = I. Default 2. */
  factors?: 2 | 3;
  /** Options of the truncated SVD, such as its method. */
  svd?: TruncatedSvdOptions;
}

/** Options shared by `spectralInit` and `standardInit`. */
interface InitOptionsBase {
  inputSize: number;
  outputSize: number;
  rank: number;
  /** 2 for U·V, 3 for U·M·V. Default 2. */
  factors?: 2 | 3;
  /** Default glorotUniform, as in Keras' Dense (TensorFlow.js' Dense uses glorotNormal). */
  kernelInitializer?: InitializerSpec;
  /**
   * Seed of the one stream all draws come from, default the kernel initializer's own seed, else
   * a fresh random seed. Set at most one of `seed` and `random`.
   */
  seed?: number;
  /** A stream to draw from instead of a new one from `seed`; it advances by the draws made. */
  random?: SeededRandom;
}

/** Options of `spectralInit`. */
export interface SpectralInitOptions extends InitOptionsBase {
  /**
   * Fans of the unfactorized weight, which variance-scaling initializers divide by. Default
   * denseFans(inputSize, outputSize). Pass convFans(kernelShape) for a matricized conv kernel.
   */
  fans?: Fans;
  /** Options of the truncated SVD, such as its method. */
  svd?: TruncatedSvdOptions;
}

/** Options of `standardInit`. */
export interface StandardInitOptions extends InitOptionsBase {
  /** Allows a rank above min(inputSize, outputSize). Default false. */
  overcomplete?: boolean;
}

/**
 * Returns balanced factors whose product is the best rank-r approximation of `weight`: with the
 * truncated SVD weight ≈ P_r Σ_r Q_rᵀ, U = P_r Σ_r^½ and V = Σ_r^½ Q_rᵀ, and M = I_r for three
 * factors.
 *
 * By the Eckart–Young theorem ‖weight − U·V‖_F = (Σ_{i>r} σ_i²)^½ when the SVD is exact. The
 * factors are balanced, UᵀU = V Vᵀ = Σ_r, so both have the singular values Σ_r^½.
 *
 * Throws InvalidArgumentError when `rank` is not an integer in [1, min(rows, columns)], because
 * a larger rank would need zero-padded factors, which do not train (see `spectralInit`).
 */
export function spectralFactors(
  weight: Matrix,
  rank: number,
  options?: SpectralFactorsOptions & { factors?: 2 },
): FactorPair;
export function spectralFactors(
  weight: Matrix,
  rank: number,
  options: SpectralFactorsOptions & { factors: 3 },
): FactorTriple;
export function spectralFactors(weight: Matrix, rank: number, options?: SpectralFactorsOptions): Factors;
export function spectralFactors(weight: Matrix, rank: number, options: SpectralFactorsOptions = {}): Factors {
  return spectralFactorsOf('weight', weight, rank, options);
}

/**
 * Returns the spectral factors of each weight, one per attention head for example, as
 * `spectralFactors` computes them with the same rank and options. For the heads of an
 * attention layer pass each head's product, such as collapse({ left: W_Q^h, right: W_K^hᵀ }).
 * Throws InvalidArgumentError for an empty list and names the offending weight otherwise.
 */
export function spectralInitBatched(
  weights: readonly Matrix[],
  rank: number,
  options?: SpectralFactorsOptions & { factors?: 2 },
): FactorPair[];
export function spectralInitBatched(
  weights: readonly Matrix[],
  rank: number,
  options: SpectralFactorsOptions & { factors: 3 },
): FactorTriple[];
export function spectralInitBatched(
  weights: readonly Matrix[],
  rank: number,
  options?: SpectralFactorsOptions,
): Factors[];
export function spectralInitBatched(
  weights: readonly Matrix[],
  rank: number,
  options: SpectralFactorsOptions = {},
): Factors[] {
  const untypedWeights: unknown = weights;
  if (!Array.isArray(untypedWeights) || weights.length === 0) {
    throw new InvalidArgumentError('weights', weights, 'a non-empty array of matrices, one per head');
  }
  return weights.map((weight, head) => spectralFactorsOf(`weights[${head}]`, weight, rank, options));
}

function spectralFactorsOf(argument: string, weight: Matrix, rank: number, options: SpectralFactorsOptions): Factors {
  if (!(weight instanceof Matrix)) {
    throw new InvalidArgumentError(argument, weight, 'a Matrix');
  }
  validateMatrix(argument, weight);
  const untypedOptions: unknown = options;
  checkPlainObject('options', untypedOptions);
  checkSpectralRank(rank, weight.rows, weight.columns, 'rows, columns');
  const factorCount = checkFactorCount(options.factors);

  const svd = truncatedSvd(weight, rank, options.svd);
  const { rows, columns } = weight;
  const left = new Matrix(rows, rank);
  const right = new Matrix(rank, columns);
  const leftVectors = svd.leftSingularVectors.data;
  const leftStride = svd.leftSingularVectors.columns;
  const rightVectors = svd.rightSingularVectors.data;
  const rightStride = svd.rightSingularVectors.columns;

  for (let k = 0; k < rank; k++) {
    const rootSingularValue = Math.sqrt(svd.singularValues[k]);
    for (let i = 0; i < rows; i++) {
      left.data[i * rank + k] = leftVectors[i * leftStride + k] * rootSingularValue;
    }
    for (let j = 0; j < columns; j++) {
      right.data[k * columns + j] = rightVectors[j * rightStride + k] * rootSingularValue;
    }
  }

  return factorCount === 3 ? { left, middle: Matrix.identity(rank), right } : { left, right };
}

/**
 * Draws the weight W0 that an unfactorized inputSize × outputSize layer would get from
 * `kernelInitializer` with `fans`, and returns its spectral factors (see `spectralFactors`),
 * so the factorized layer starts from the best rank-r approximation of a well-scaled
 * initialization.
 *
 * W0 comes from the seeded stream, and the truncated SVD is deterministic for a given input
 * and `svd` options, so the same seed gives the same factors bit for bit. Cost: drawing W0
 * plus one truncated SVD of it.
 *
 * Throws InvalidArgumentError when `rank` exceeds min(inputSize, outputSize). Spectral factors
 * have at most that many nonzero columns, and zero padding to a larger rank gives columns that
 * never train. When column k of U and row k of V are both zero, the gradient of any loss of U·V
 * is zero on both of them. Use `standardInit` for an overcomplete rank.
 */
export function spectralInit(options: SpectralInitOptions & { factors?: 2 }): FactorPair;
export function spectralInit(options: SpectralInitOptions & { factors: 3 }): FactorTriple;
export function spectralInit(options: SpectralInitOptions): Factors;
export function spectralInit(options: SpectralInitOptions): Factors {
  const untypedOptions: unknown = options;
  checkPlainObject('options', untypedOptions);
  const { inputSize, outputSize, rank } = options;
  checkPositiveInteger('inputSize', inputSize);
  checkPositiveInteger('outputSize', outputSize);
  checkSpectralRank(rank, inputSize, outputSize, 'inputSize, outputSize');
  const factors = checkFactorCount(options.factors);
  const { initializer, random } = prepareDraws(options);

  const weight = drawInitializer(initializer, inputSize, outputSize, {
    fans: options.fans ?? denseFans(inputSize, outputSize),
    random,
  });

  return spectralFactorsOf('weight', weight, rank, { factors, svd: options.svd });
}

/**
 * Draws each factor from `kernelInitializer` as if it were a dense layer of its own. U
 * (inputSize × r) gets fans (inputSize, r), V (r × outputSize) gets fans (r, outputSize), and
 * for three factors M (r × r) gets fans (r, r). An orthogonal initializer therefore gives each
 * factor orthonormal rows or columns. Unlike spectral initialization, the product U·V is not
 * scaled like an unfactorized layer.
 *
 * The draws come from one seeded stream in the order U, V, M, so the same seed gives the
 * same factors bit for bit, and the two- and three-factor versions share U and V.
 *
 * NOTE: the reference code (microsoft/fnl_paper) starts M at the identity under both schemes.
 * Here standard initialization draws M as well, which treats all factors alike.
 *
 * Throws InvalidArgumentError when `rank` exceeds min(inputSize, outputSize) and `overcomplete`
 * is not true.
 */
export function standardInit(options: StandardInitOptions & { factors?: 2 }): FactorPair;
export function standardInit(options: StandardInitOptions & { factors: 3 }): FactorTriple;
export function standardInit(options: StandardInitOptions): Factors;
export function standardInit(options: StandardInitOptions): Factors {
  const untypedOptions: unknown = options;
  checkPlainObject('options', untypedOptions);
  const { inputSize, outputSize, rank } = options;
  checkPositiveInteger('inputSize', inputSize);
  checkPositiveInteger('outputSize', outputSize);
  checkPositiveInteger('rank', rank);

  const overcomplete = options.overcomplete ?? false;
  if (typeof overcomplete !== 'boolean') {
    throw new InvalidArgumentError('overcomplete', overcomplete, 'true or false');
  }
  const maxRank = Math.min(inputSize, outputSize);
  if (rank > maxRank && !overcomplete) {
    throw new InvalidArgumentError(
      'rank',
      rank,
      `at most min(inputSize, outputSize) = ${maxRank}, or a larger rank with overcomplete: true`,
    );
  }

  const factors = checkFactorCount(options.factors);
  const { initializer, random } = prepareDraws(options);

  const left = drawInitializer(initializer, inputSize, rank, { fans: denseFans(inputSize, rank), random });
  const right = drawInitializer(initializer, rank, outputSize, { fans: denseFans(rank, outputSize), random });
  if (factors === 2) {
    return { left, right };
  }

  const middle = drawInitializer(initializer, rank, rank, { fans: denseFans(rank, rank), random });
  return { left, middle, right };
}

/**
 * Initializes the factors of an inputSize × outputSize layer with `spectralInit` or
 * `standardInit`, as `resolved.initialization` selects.
 *
 * `fans` are the fans of the unfactorized weight, default denseFans(inputSize, outputSize),
 * and only spectral initialization uses them. Standard initialization draws each factor with
 * the fans of its own matrix shape, which for a matricized conv kernel is what the reference
 * code does as well.
 */
export function initializeFactors(
  resolved: ResolvedFactorization,
  inputSize: number,
  outputSize: number,
  fans?: Fans,
): Factors {
  const untypedResolved: unknown = resolved;
  checkPlainObject('resolved', untypedResolved);
  const common = {
    inputSize,
    outputSize,
    rank: resolved.rank,
    factors: resolved.factors,
    kernelInitializer: resolved.kernelInitializer,
    seed: resolved.seed,
  };

  switch (resolved.initialization) {
    case 'spectral':
      return spectralInit({ ...common, fans });
    case 'standard':
      return standardInit({ ...common, overcomplete: resolved.overcomplete });
    default:
      throw new InvalidArgumentError('resolved.initialization', resolved.initialization, "'spectral' or 'standard'");
  }
}

function checkSpectralRank(rank: number, rows: number, columns: number, sizeNames: string): void {
  checkPositiveInteger('rank', rank);
  const maxRank = Math.min(rows, columns);
  if (rank > maxRank) {
    throw new InvalidArgumentError(
      'rank',
      rank,
      `at most min(${sizeNames}) = ${maxRank} for spectral initialization, or initialization 'standard' ` +
        'for an overcomplete rank, because zero-padded spectral factors keep their extra columns at zero, ' +
        'where the gradients of both factors vanish',
    );
  }
}

function checkFactorCount(factors: unknown): 2 | 3 {
  const count = factors ?? 2;
  if (count !== 2 && count !== 3) {
    throw new InvalidArgumentError('factors', count, '2 (U·V) or 3 (U·M·V)');
  }
  return count;
}

/**
 * Resolves the kernel initializer and opens the one stream that all draws of an
 * initialization come from. The initializer's own seed counts as the seed when no other is
 * given, and is removed from the returned config so drawInitializer accepts the stream.
 */
function prepareDraws(options: InitOptionsBase): { initializer: InitializerConfig; random: SeededRandom } {
  const { seed: initializerSeed, ...initializer } = resolveInitializer(
    options.kernelInitializer ?? 'glorotUniform',
    'kernelInitializer',
  );

  if (options.random !== undefined) {
    if (!(options.random instanceof SeededRandom)) {
      throw new InvalidArgumentError('random', options.random, 'a SeededRandom');
    }
    if (options.seed !== undefined || initializerSeed !== undefined) {
      throw new InvalidArgumentError(
        'seed',
        options.seed ?? initializerSeed,
        'no seed, neither in the options nor in kernelInitializer, when random is given, because the seed would be ignored',
      );
    }
    return { initializer, random: options.random };
  }

  if (options.seed !== undefined && initializerSeed !== undefined && options.seed !== initializerSeed) {
    throw new InvalidArgumentError(
      'seed',
      options.seed,
      `the seed of kernelInitializer (${initializerSeed}) or no seed, because one of the two would be ignored`,
    );
  }
  const seed = options.seed ?? initializerSeed ?? randomSeed();
  return { initializer, random: new SeededRandom(seed) };
}
