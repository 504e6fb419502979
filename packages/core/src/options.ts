import { checkPlainObject, checkPositiveInteger, checkSeed } from './argument-checks.js';
import { InvalidArgumentError } from './errors.js';
import type { InitializerConfig, InitializerSpec } from './initializers.js';
import { resolveInitializer } from './initializers.js';
import { rankFromScale } from './rank-selection.js';

/**
 * Initialization scheme of the factors of a layer.
 * - `'spectral'`: draw the weight W0 that the unfactorized layer would get from its kernel
 *   initializer and take U = P_r Σ_r^½, V = Σ_r^½ Q_rᵀ from the SVD W0 = P Σ Qᵀ, so U·V is the
 *   best rank-r approximation of W0.
 * - `'standard'`: draw each factor from the kernel initializer as if it were a dense layer
 *   of its own.
 */
export type InitializationScheme = 'spectral' | 'standard';

/** The factorization options that every adapter's factorized layer accepts. */
export interface FactorizationOptions {
  /** Inner dimension r of the factors, a positive integer. Set this or `rankScale`, not both. */
  rank?: number;
  /**
   * Rank as a fraction of min(inputSize, outputSize): round(rankScale · min), halves to even as
   * in Python, and at least 1.
   */
  rankScale?: number;
  /** 2 for U·V, 3 for U·M·V with a square r × r middle factor. Default 2. */
  factors?: 2 | 3;
  /**
   * Allows a rank above min(inputSize, outputSize) or a rank scale above 1, an
   * over-parameterized layer that can be collapsed back into a dense one after training.
   * Default false.
   */
  overcomplete?: boolean;
  /** Default `'spectral'`. An overcomplete rank needs `'standard'`. */
  initialization?: InitializationScheme;
  /** Initializer of the unfactorized weight (spectral) or of each factor (standard). Default glorotUniform, as in Keras' Dense. */
  kernelInitializer?: InitializerSpec;
  /**
   * Seed of the initialization, so the same seed gives the same factors. Default: the kernel
   * initializer's seed, else a fresh random seed.
   */
  seed?: number;
  /** Frobenius-decay coefficient λ of the penalty (λ/2)·‖U·V‖²_F. Default 0. */
  frobeniusDecay?: number;
  /** Weight-decay coefficient λ of the penalty (λ/2)·(‖U‖²_F + ‖V‖²_F), the baseline. Default 0. */
  weightDecay?: number;
}

/** The keys of `FactorizationOptions`, for adapters that reject unknown option names. */
export const FACTORIZATION_OPTION_KEYS: readonly (keyof FactorizationOptions)[] = [
  'rank',
  'rankScale',
  'factors',
  'overcomplete',
  'initialization',
  'kernelInitializer',
  'seed',
  'frobeniusDecay',
  'weightDecay',
];

/** Factorization options after validation, with every default filled in and the rank computed. */
export interface ResolvedFactorization {
  rank: number;
  factors: 2 | 3;
  overcomplete: boolean;
  initialization: InitializationScheme;
  kernelInitializer: InitializerConfig;
  /**
   * The seed as given, or undefined, in which case initialization uses the kernel initializer's
   * seed, else a fresh random seed.
   */
  seed: number | undefined;
  frobeniusDecay: number;
  weightDecay: number;
}

/**
 * Validates the factorization options of an inputSize × outputSize layer, fills in the
 * defaults and computes the rank.
 *
 * Exactly one of `rank` and `rankScale` must be set. A rank above min(inputSize, outputSize)
 * or a rank scale above 1 needs `overcomplete: true`, and an overcomplete rank needs
 * `initialization: 'standard'`. The kernel initializer defaults to `defaults.kernelInitializer`,
 * else to glorotUniform, the Keras Dense default. Adapters pass their framework's own default
 * (TensorFlow.js' Dense uses glorotNormal).
 *
 * Throws InvalidArgumentError naming the option, showing its value and saying what is valid.
 * Unknown keys are not checked here, because each adapter adds options of its own.
 */
export function resolveFactorizationOptions(
  options: FactorizationOptions,
  inputSize: number,
  outputSize: number,
  defaults: { kernelInitializer?: InitializerSpec } = {},
): ResolvedFactorization {
  const untypedOptions: unknown = options;
  checkPlainObject('options', untypedOptions);
  checkPositiveInteger('inputSize', inputSize);
  checkPositiveInteger('outputSize', outputSize);

  const overcomplete = options.overcomplete ?? false;
  if (typeof overcomplete !== 'boolean') {
    throw new InvalidArgumentError('overcomplete', overcomplete, 'true or false');
  }

  const rank = resolveRank(options, inputSize, outputSize, overcomplete);

  const factors = options.factors ?? 2;
  if (factors !== 2 && factors !== 3) {
    throw new InvalidArgumentError('factors', factors, '2 (U·V) or 3 (U·M·V)');
  }

  const initialization = options.initialization ?? 'spectral';
  if (initialization !== 'spectral' && initialization !== 'standard') {
    throw new InvalidArgumentError('initialization', initialization, "'spectral' or 'standard'");
  }

  const maxSpectralRank = Math.min(inputSize, outputSize);
  if (initialization === 'spectral' && rank > maxSpectralRank) {
    throw new InvalidArgumentError(
      'initialization',
      initialization,
      `'standard' when rank ${rank} exceeds min(inputSize, outputSize) = ${maxSpectralRank}, because ` +
        'zero-padded spectral factors keep their extra columns at zero, where the gradients of both ' +
        'factors vanish',
    );
  }

  const kernelInitializer = resolveInitializer(
    options.kernelInitializer ?? defaults.kernelInitializer ?? 'glorotUniform',
    'kernelInitializer',
  );

  const seed = options.seed;
  if (seed !== undefined) {
    checkSeed('seed', seed);
    if (kernelInitializer.seed !== undefined && kernelInitializer.seed !== seed) {
      throw new InvalidArgumentError(
        'seed',
        seed,
        `the seed of kernelInitializer (${kernelInitializer.seed}) or no seed, because one of the two would be ignored`,
      );
    }
  }

  return {
    rank,
    factors,
    overcomplete,
    initialization,
    kernelInitializer,
    seed,
    frobeniusDecay: resolveDecay('frobeniusDecay', options.frobeniusDecay),
    weightDecay: resolveDecay('weightDecay', options.weightDecay),
  };
}

function resolveRank(
  options: FactorizationOptions,
  inputSize: number,
  outputSize: number,
  overcomplete: boolean,
): number {
  const { rank, rankScale } = options;
  const maxRank = Math.min(inputSize, outputSize);

  if (rank !== undefined && rankScale !== undefined) {
    throw new InvalidArgumentError('rank and rankScale', { rank, rankScale }, 'exactly one of them to be set');
  }

  if (rank !== undefined) {
    checkPositiveInteger('rank', rank);
    if (rank > maxRank && !overcomplete) {
      throw new InvalidArgumentError(
        'rank',
        rank,
        `at most min(inputSize, outputSize) = ${maxRank}, or a larger rank with overcomplete: true`,
      );
    }
    return rank;
  }

  if (rankScale !== undefined) {
    if (typeof rankScale !== 'number' || !Number.isFinite(rankScale) || rankScale <= 0) {
      throw new InvalidArgumentError('rankScale', rankScale, 'a finite number > 0');
    }
    if (rankScale > 1 && !overcomplete) {
      throw new InvalidArgumentError(
        'rankScale',
        rankScale,
        'a number in (0, 1], or a larger one with overcomplete: true',
      );
    }
    return rankFromScale(rankScale, inputSize, outputSize, { overcomplete });
  }

  const expected = `a positive integer, or else rankScale in (0, 1] as a fraction of min(inputSize, outputSize) = ${maxRank}`;
  throw new InvalidArgumentError('rank', undefined, expected, `Missing rank: set rank to ${expected}.`);
}

function resolveDecay(argument: string, value: unknown): number {
  if (value === undefined) {
    return 0;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a finite number ≥ 0');
  }
  return value;
}
