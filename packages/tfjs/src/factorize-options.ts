import type * as tf from '@tensorflow/tfjs';
import type { ConvScheme, TruncatedSvdOptions } from '@factorized/core';
import { formatValue, InvalidArgumentError, Matrix, truncatedSvd } from '@factorized/core';

/** Method by which factorizeModel spreads a parameterRatio over the layers. */
export type ParameterAllocation = 'uniform' | 'energy';

/** A step of factorizeModel, reported before it runs on a layer. */
export interface FactorizeProgress {
  /** Path of the layer (see FactorizedLayerReport.layer). */
  layer: string;
  /** Position of the layer in this stage, from 0. */
  index: number;
  /** Layers in this stage. */
  total: number;
  /**
   * 'spectrum': the full SVD of the kernel, for `allocation: 'energy'` only. 'factorize': the
   * truncated SVD that gives the layer's factors.
   */
  stage: 'spectrum' | 'factorize';
}

/** Options of factorizeModel. */
export interface FactorizeModelOptions {
  /**
   * Selection of the Dense and Conv2D layers to factorize: paths or names of layers (a nested
   * model's name selects the layers inside it), or a predicate of the layer and its path. Default: every
   * Dense and Conv2D layer, or only those named in `ranks` when `ranks` is given without
   * `rankScale` or `parameterRatio`.
   */
  layers?: readonly string[] | ((layer: tf.layers.Layer, path: string) => boolean);
  /**
   * Rank of each layer as a fraction of min(rows, columns) of its kernel matrix, in (0, 1]:
   * round(rankScale · min), at least 1. Default 0.25 unless `parameterRatio` is set.
   */
  rankScale?: number;
  /**
   * Target for the whole model: parameters after / parameters before, in (0, 1], every weight
   * counted (as model.countParams() does). The result has at most this ratio.
   */
  parameterRatio?: number;
  /**
   * Method that reaches `parameterRatio`. 'uniform' (default): one rank scale shared by all layers
   * (core's ranksForParameterRatio). 'energy': ranks grown greedily where the next singular value
   * removes the most squared Frobenius error per parameter (core's ranksByEnergy), which needs
   * a full SVD of every kernel.
   */
  allocation?: ParameterAllocation;
  /**
   * Fixed ranks by layer path or name, integers in [1, min(rows, columns)]. A rank at or above
   * the break-even rank, where the factors have as many parameters as the kernel, is used as
   * provided, with a warning in the report.
   */
  ranks?: Readonly<Record<string, number>>;
  /** 2 for U·V, 3 for U·M·V with M = I. Default 2. */
  factors?: 2 | 3;
  /** Matricization of conv kernels (core's ConvScheme). Default 'paper'. */
  scheme?: ConvScheme;
  /**
   * Frobenius-decay coefficient λ of every new layer, a finite number ≥ 0. Default: 2·l2 of the
   * layer's L2 kernel regularizer (the same penalty on the product U·V), else 0.
   */
  frobeniusDecay?: number;
  /** Weight-decay coefficient λ of every new layer, on each factor, a finite number ≥ 0. Default 0. */
  weightDecay?: number;
  /** Options of the truncated SVD that computes the factors (core's TruncatedSvdOptions). */
  svd?: TruncatedSvdOptions;
  /** Called before each layer's SVD. An error it throws stops factorizeModel. */
  onProgress?: (progress: FactorizeProgress) => void;
}

/** The options after validation, with defaults filled in where they do not depend on a layer. */
export interface ResolvedFactorizeOptions {
  layers: readonly string[] | ((layer: tf.layers.Layer, path: string) => boolean) | undefined;
  /** The rank rule of layers without a fixed rank. */
  rule: { kind: 'scale'; rankScale: number } | { kind: 'ratio'; parameterRatio: number; allocation: ParameterAllocation };
  ranks: Readonly<Record<string, number>>;
  /** True when `ranks` alone selects the layers. */
  ranksSelect: boolean;
  factors: 2 | 3;
  scheme: ConvScheme;
  frobeniusDecay: number | undefined;
  weightDecay: number;
  svd: TruncatedSvdOptions;
  onProgress: ((progress: FactorizeProgress) => void) | undefined;
}

/** Rank scale of factorizeModel when neither rankScale nor parameterRatio is provided. */
export const DEFAULT_RANK_SCALE = 0.25;

const OPTION_NAMES = [
  'layers',
  'rankScale',
  'parameterRatio',
  'allocation',
  'ranks',
  'factors',
  'scheme',
  'frobeniusDecay',
  'weightDecay',
  'svd',
  'onProgress',
];

/**
 * Validates the options of factorizeModel that do not depend on the model, and fills in their
 * defaults. Throws InvalidArgumentError naming the option. Layer names are checked later,
 * against the model.
 */
export function resolveFactorizeOptions(options: unknown): ResolvedFactorizeOptions {
  if (options === undefined) {
    options = {};
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', options, 'an options object');
  }
  const provided = options as Record<string, unknown>;
  for (const key of Object.keys(provided)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new InvalidArgumentError(
        'option name',
        key,
        `one of ${OPTION_NAMES.map((name) => `'${name}'`).join(', ')}`,
      );
    }
  }

  const ranks = readRanks(provided.ranks);
  const rule = readRankRule(provided);
  const ranksSelect = provided.ranks !== undefined && provided.rankScale === undefined && provided.parameterRatio === undefined;

  return {
    layers: readLayerSelection(provided.layers),
    rule,
    ranks,
    ranksSelect,
    factors: readChoice('factors', provided.factors ?? 2, [2, 3] as const, '2 (U·V) or 3 (U·M·V)'),
    scheme: readChoice('scheme', provided.scheme ?? 'paper', ['paper', 'pointwise'] as const, "'paper' or 'pointwise'"),
    frobeniusDecay: provided.frobeniusDecay === undefined ? undefined : readCoefficient('frobeniusDecay', provided.frobeniusDecay),
    weightDecay: readCoefficient('weightDecay', provided.weightDecay ?? 0),
    svd: readSvdOptions(provided.svd),
    onProgress: readCallback(provided.onProgress),
  };
}

function readRankRule(provided: Record<string, unknown>): ResolvedFactorizeOptions['rule'] {
  const { rankScale, parameterRatio, allocation } = provided;
  if (rankScale !== undefined && parameterRatio !== undefined) {
    throw new InvalidArgumentError(
      'rankScale',
      rankScale,
      'no rankScale together with parameterRatio, because each sets the ranks; choose one',
    );
  }

  if (parameterRatio !== undefined) {
    return {
      kind: 'ratio',
      parameterRatio: readUnitInterval('parameterRatio', parameterRatio),
      allocation: readChoice('allocation', allocation ?? 'uniform', ['uniform', 'energy'] as const, "'uniform' or 'energy'"),
    };
  }
  if (allocation !== undefined) {
    throw new InvalidArgumentError('allocation', allocation, 'no allocation without parameterRatio, which it allocates');
  }
  return { kind: 'scale', rankScale: rankScale === undefined ? DEFAULT_RANK_SCALE : readUnitInterval('rankScale', rankScale) };
}

function readLayerSelection(value: unknown): ResolvedFactorizeOptions['layers'] {
  if (value === undefined || typeof value === 'function') {
    return value as ResolvedFactorizeOptions['layers'];
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((name) => typeof name === 'string')) {
    throw new InvalidArgumentError(
      'layers',
      value,
      'a non-empty array of layer names or paths, or a predicate (layer, path) => boolean',
    );
  }
  return [...value] as string[];
}

function readRanks(value: unknown): Record<string, number> {
  if (value === undefined) {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) {
    throw new InvalidArgumentError('ranks', value, 'a non-empty object from layer names or paths to ranks');
  }
  const ranks: Record<string, number> = {};
  for (const [name, rank] of Object.entries(value)) {
    if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 1) {
      throw new InvalidArgumentError(`ranks.${name}`, rank, 'a positive integer');
    }
    ranks[name] = rank;
  }
  return ranks;
}

function readUnitInterval(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new InvalidArgumentError(option, value, 'a number in (0, 1]');
  }
  return value;
}

function readCoefficient(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(option, value, 'a finite number ≥ 0');
  }
  return value;
}

function readChoice<T>(option: string, value: unknown, choices: readonly T[], expected: string): T {
  if (!choices.includes(value as T)) {
    throw new InvalidArgumentError(option, value, expected);
  }
  return value as T;
}

function readCallback(value: unknown): ResolvedFactorizeOptions['onProgress'] {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError('onProgress', value, 'a function ({ layer, index, total, stage }) => void');
  }
  return value as ResolvedFactorizeOptions['onProgress'];
}

/**
 * Checks the SVD options up front by running core's truncatedSvd on a 2 × 2 matrix, so a bad
 * option fails before any layer's SVD has run. Core names its argument `options`, so the error
 * is raised again naming `svd`.
 */
function readSvdOptions(value: unknown): TruncatedSvdOptions {
  if (value === undefined) {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('svd', value, "an object of truncated SVD options such as { method: 'exact' }");
  }
  try {
    truncatedSvd(Matrix.identity(2), 1, value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw renameArgument(error, (argument) =>
        argument.replace(/^options(?=\.|$)/, 'svd').replace(/ in truncatedSvd$/, ' in svd'),
      );
    }
    throw error;
  }
  return { ...(value as TruncatedSvdOptions) };
}

/**
 * Returns `error` with its argument renamed by `rename`, for errors of core functions whose
 * argument has another name in the caller's options. Errors whose message is not in
 * InvalidArgumentError's format are returned unchanged.
 */
export function renameArgument(
  error: InvalidArgumentError,
  rename: (argument: string) => string,
): InvalidArgumentError {
  const prefix = `Invalid ${error.argument}: expected `;
  const suffix = `, got ${formatValue(error.value)}.`;
  const { message } = error;
  if (!message.startsWith(prefix) || !message.endsWith(suffix)) {
    return error;
  }
  const expected = message.slice(prefix.length, message.length - suffix.length);
  return new InvalidArgumentError(rename(error.argument), error.value, expected);
}
