import type { Factors, FactorizationOptions, Matrix } from '@factorized/core';
import {
  FACTORIZATION_OPTION_KEYS,
  initializeFactors,
  InvalidArgumentError,
  resolveFactorizationOptions,
  ShapeMismatchError,
  validateFactors,
} from '@factorized/core';
import { layer } from 'brain.js';

import type { ActivationName } from './activations.js';
import { applyActivation, checkActivationName } from './activations.js';
import type { BrainLayer, FactorRole, PraxisOptions } from './brain-types.js';
import { columnTarget } from './column-target.js';
import { FactorWeights } from './factor-weights.js';
import { FactorizedLayer } from './factorized-layer.js';
import { brainColumnFromVector, brainRowsFromMatrix } from './weight-layout.js';

/** Settings of `factorizedFullyConnected`, `factorizedFeedForward` and `factorizedOutput`. */
export interface FactorizedFullyConnectedSettings extends FactorizationOptions {
  /** Number of outputs, as in brain.js' feedForward. */
  height: number;
  /**
   * Activation after bias + Wᵀ·x. Defaults: 'sigmoid' for factorizedFeedForward (as brain.js'
   * feedForward), 'linear' for factorizedFullyConnected and factorizedOutput (as brain.js' output).
   */
  activation?: ActivationName;
  /**
   * Id of the factorized layer, unique within its network; it names the layer in errors and in
   * JSON. Default: 'factorized' followed by a number counted up in this process.
   */
  id?: string;
  /** Options of the praxis (brain.js' optimizer) of the factor and bias layers. Default: the network's. */
  praxisOpts?: PraxisOptions;
  /**
   * Factors to start from, in core's layout (U: in × rank, V: rank × out, M: rank × rank),
   * instead of drawing them. The rank defaults to their inner dimension; `initialization`,
   * `kernelInitializer` and `seed` must then be unset.
   */
  initialFactors?: Factors;
  /** Biases to start from, one per output. Default zeros. */
  initialBiases?: ArrayLike<number>;
}

const knownSettings: readonly string[] = [
  'height',
  'activation',
  'id',
  'praxisOpts',
  'initialFactors',
  'initialBiases',
  ...FACTORIZATION_OPTION_KEYS,
];

let generatedIdCount = 0;

/**
 * Builds a factorized fully connected layer on `inputLayer`: activation(bias + Wᵀ·x) for the
 * kernel W = U·V or U·M·V (in × out, core's layout). It computes Vᵀ·(Uᵀ·x) out of brain.js' own
 * random, multiply and add layers, so it costs O((in + out)·rank) per input instead of
 * O(in·out). The default activation is 'linear'.
 *
 * Use it inside `new FeedForward({ inputLayer, hiddenLayers, outputLayer })` like brain.js'
 * feedForward: `(input) => factorizedFullyConnected({ height: 64, rank: 8 }, input)`.
 * The factors start from core's initializeFactors (spectral by default) unless
 * `initialFactors` is given, and the biases start at zero unless `initialBiases` is given.
 *
 * Throws InvalidArgumentError naming the setting and its value for an unknown or invalid
 * setting, and for an input layer that is not a column of height ≥ 1. Core's
 * resolveFactorizationOptions checks rank, rankScale, factors, initialization, the decays and
 * the rest of the shared options.
 */
export function factorizedFullyConnected(
  settings: FactorizedFullyConnectedSettings,
  inputLayer: BrainLayer,
): BrainLayer {
  return buildFactorizedLayer(settings, inputLayer, 'linear');
}

/**
 * Builds a factorized fully connected layer with brain.js feedForward's default activation,
 * sigmoid(bias + Wᵀ·x). See factorizedFullyConnected for the settings and errors.
 */
export function factorizedFeedForward(settings: FactorizedFullyConnectedSettings, inputLayer: BrainLayer): BrainLayer {
  return buildFactorizedLayer(settings, inputLayer, 'sigmoid');
}

/**
 * Builds the output layer of a network the way brain.js' output does, a target on
 * bias + Wᵀ·x, with the kernel W factorized. The default activation is 'linear', as in brain.js' output.
 * The target is a ColumnTarget, which trains every output toward its own target value (see
 * ColumnTarget). See factorizedFullyConnected for the settings and errors.
 */
export function factorizedOutput(settings: FactorizedFullyConnectedSettings, inputLayer: BrainLayer): BrainLayer {
  const outputLayer = buildFactorizedLayer(settings, inputLayer, 'linear');
  return columnTarget({ height: settings.height }, outputLayer);
}

function buildFactorizedLayer(
  settings: FactorizedFullyConnectedSettings,
  inputLayer: BrainLayer,
  defaultActivation: ActivationName,
): BrainLayer {
  checkSettingsObject(settings);
  const inputSize = checkInputLayer(inputLayer);
  const outputSize = settings.height;
  if (typeof outputSize !== 'number' || !Number.isSafeInteger(outputSize) || outputSize < 1) {
    throw new InvalidArgumentError('height', outputSize, 'a positive integer, the number of outputs');
  }

  const activation = settings.activation ?? defaultActivation;
  checkActivationName('activation', activation);
  const id = resolveId(settings.id);
  const praxisOpts = resolvePraxisOptions(settings.praxisOpts);

  const { factors, frobeniusDecay, weightDecay } = resolveFactors(settings, inputSize, outputSize);
  const middleFactor = 'middle' in factors ? factors.middle : undefined;
  const biases =
    settings.initialBiases === undefined
      ? Array.from({ length: outputSize }, () => new Float32Array(1))
      : brainColumnFromVector('initialBiases', settings.initialBiases, outputSize);

  const left = createFactor(id, 'left', factors.left, praxisOpts);
  const middle = middleFactor === undefined ? null : createFactor(id, 'middle', middleFactor, praxisOpts);
  const right = createFactor(id, 'right', factors.right, praxisOpts);
  new FactorizedLayer({ id, left, middle, right, frobeniusDecay, weightDecay });

  let product: BrainLayer = layer.multiply(left, inputLayer);
  if (middle !== null) {
    product = layer.multiply(middle, product);
  }
  product = layer.multiply(right, product);

  const biasLayer = layer.random({ id: `${id}.biases`, height: outputSize, width: 1, weights: biases, praxisOpts });
  const sum = layer.add(product, biasLayer);
  return applyActivation(activation, sum);
}

function checkSettingsObject(settings: unknown): asserts settings is Record<string, unknown> {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new InvalidArgumentError('settings', settings, 'an object with at least height and rank or rankScale');
  }
  for (const key of Object.keys(settings)) {
    if (!knownSettings.includes(key)) {
      throw new InvalidArgumentError(
        'setting name',
        key,
        `one of ${knownSettings.map((name) => `'${name}'`).join(', ')}`,
      );
    }
  }
}

function checkInputLayer(inputLayer: BrainLayer): number {
  if (typeof inputLayer !== 'object' || inputLayer === null) {
    throw new InvalidArgumentError('inputLayer', inputLayer, 'a brain.js layer');
  }

  const { width, height } = inputLayer;
  const depth = inputLayer.depth ?? 0;
  if (width !== 1 || depth > 0 || !Number.isSafeInteger(height) || height < 1) {
    throw new InvalidArgumentError(
      'inputLayer',
      `a layer of width ${width}, height ${height}, depth ${depth}`,
      'a column layer (width 1, depth 0) of height ≥ 1, as brain.js input and feedForward layers are',
    );
  }
  return height;
}

function resolveId(id: unknown): string {
  if (id === undefined) {
    generatedIdCount += 1;
    return `factorized${generatedIdCount}`;
  }
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidArgumentError('id', id, 'a non-empty string');
  }
  return id;
}

function resolvePraxisOptions(praxisOpts: unknown): PraxisOptions | null {
  if (praxisOpts === undefined || praxisOpts === null) {
    return null;
  }
  if (typeof praxisOpts !== 'object' || Array.isArray(praxisOpts)) {
    throw new InvalidArgumentError(
      'praxisOpts',
      praxisOpts,
      'an object of praxis options, such as { learningRate: 0.01 }',
    );
  }
  return praxisOpts as PraxisOptions;
}

function resolveFactors(
  settings: FactorizedFullyConnectedSettings,
  inputSize: number,
  outputSize: number,
): { factors: Factors; frobeniusDecay: number; weightDecay: number } {
  const {
    height: _height,
    activation: _activation,
    id: _id,
    praxisOpts: _praxisOpts,
    initialFactors,
    initialBiases: _initialBiases,
    ...options
  } = settings;

  if (initialFactors === undefined) {
    const resolved = resolveFactorizationOptions(options, inputSize, outputSize);
    return {
      factors: initializeFactors(resolved, inputSize, outputSize),
      frobeniusDecay: resolved.frobeniusDecay,
      weightDecay: resolved.weightDecay,
    };
  }

  for (const key of ['initialization', 'kernelInitializer', 'seed'] as const) {
    if (options[key] !== undefined) {
      throw new InvalidArgumentError(
        key,
        options[key],
        'no value when initialFactors is given, because it would be ignored',
      );
    }
  }

  validateFactors(initialFactors, 'initialFactors');
  const factorRank = initialFactors.left.columns;
  const rankOptions = options.rank === undefined && options.rankScale === undefined ? { rank: factorRank } : {};
  // 'standard' only lifts the spectral-rank check, which concerns drawn factors, not given ones.
  const resolved = resolveFactorizationOptions(
    { ...options, ...rankOptions, initialization: 'standard' },
    inputSize,
    outputSize,
  );

  const factorCount = 'middle' in initialFactors ? 3 : 2;
  if (factorCount !== resolved.factors) {
    throw new InvalidArgumentError('factors', resolved.factors, `${factorCount}, the number of initialFactors`);
  }
  checkInitialShape('left', initialFactors.left, inputSize, resolved.rank);
  checkInitialShape('right', initialFactors.right, resolved.rank, outputSize);
  if ('middle' in initialFactors) {
    checkInitialShape('middle', initialFactors.middle, resolved.rank, resolved.rank);
  }

  return { factors: initialFactors, frobeniusDecay: resolved.frobeniusDecay, weightDecay: resolved.weightDecay };
}

function checkInitialShape(role: FactorRole, matrix: Matrix, rows: number, columns: number): void {
  if (matrix.rows !== rows || matrix.columns !== columns) {
    throw new ShapeMismatchError(
      `initialFactors.${role} must be ${rows}×${columns} (input size, rank and height of the layer), ` +
        `got ${matrix.rows}×${matrix.columns}.`,
    );
  }
}

function createFactor(id: string, role: FactorRole, factor: Matrix, praxisOpts: PraxisOptions | null): FactorWeights {
  // The layer stores the transpose of core's factor (see FactorWeights).
  return new FactorWeights({
    id: `${id}.${role}`,
    height: factor.columns,
    width: factor.rows,
    weights: brainRowsFromMatrix(factor, true),
    praxisOpts,
    factorization: { layer: id, role },
  });
}
