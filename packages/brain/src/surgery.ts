import type { FactorizationOptions, TruncatedSvdOptions } from '@factorized/core';
import { InvalidArgumentError, resolveFactorizationOptions, spectralFactors } from '@factorized/core';
import { FeedForward, layer } from 'brain.js';

import type { ActivationName } from './activations.js';
import { applyActivation } from './activations.js';
import type { BrainFeedForward, BrainLayer, PraxisOptions } from './brain-types.js';
import type { ClassicLayer } from './classic-network.js';
import { readClassicNetwork } from './classic-network.js';
import { columnTarget } from './column-target.js';
import { factorizedFullyConnected } from './factorized-fully-connected.js';
import { brainColumnFromVector, brainRowsFromMatrix } from './weight-layout.js';

/** The factorization options that can differ per weight layer in `factorizeNeuralNetwork`. */
export type LayerFactorization = Pick<
  FactorizationOptions,
  'rank' | 'rankScale' | 'factors' | 'overcomplete' | 'frobeniusDecay' | 'weightDecay'
>;

/** Options of `factorizeNeuralNetwork`. */
export interface FactorizeNeuralNetworkOptions extends LayerFactorization {
  /**
   * Per weight layer, the first being input → first hidden layer: options that replace the
   * shared ones above (a `rank` or `rankScale` here replaces both shared ones), or 'dense' to
   * keep that layer unfactorized, as brain.js' own weight layers. Length: the number of weight
   * layers, sizes.length − 1.
   */
  layers?: readonly (LayerFactorization | 'dense' | undefined)[];
  /** Praxis options of the new network (brain.js' FeedForward praxisOpts). */
  praxisOpts?: PraxisOptions;
  /** Options of core's truncatedSvd for the SVD of each weight. */
  svd?: TruncatedSvdOptions;
}

const knownOptions: readonly string[] = [
  'rank',
  'rankScale',
  'factors',
  'overcomplete',
  'frobeniusDecay',
  'weightDecay',
  'layers',
  'praxisOpts',
  'svd',
];

const layerOptionNames: readonly string[] = [
  'rank',
  'rankScale',
  'factors',
  'overcomplete',
  'frobeniusDecay',
  'weightDecay',
];

/**
 * Turns a trained classic brain.js NeuralNetwork into an initialized FeedForward network of
 * factorized layers that computes the same function up to the truncation.
 *
 * Each weight W (out × in, brain.js order) is replaced by the spectral factors of its truncated
 * SVD, core's spectralFactors of the in × out kernel Wᵀ, and its biases are copied. Every layer
 * keeps the network's activation, the output layer included, because the classic network
 * applies it there too. The output layer ends in a ColumnTarget, so the result trains with
 * `train`.
 *
 * `net` is a NeuralNetwork instance of brain.js 1.x or 2.x, or the JSON of its `toJSON()`.
 * At full rank (rank = min(in, out) in every layer) outputs equal the original's up to float32
 * rounding of the factors. Factorized layers get the ids 'layer1', 'layer2', … in order.
 *
 * Throws InvalidArgumentError naming the option and its value (and the weight layer, for
 * per-layer ranks), and what readClassicNetwork throws for networks it cannot read.
 */
export function factorizeNeuralNetwork(net: unknown, options: FactorizeNeuralNetworkOptions): BrainFeedForward {
  checkOptions(options);
  const classic = readClassicNetwork('net', net);
  const weightLayerCount = classic.layers.length;
  const layerOptions = options.layers;
  if (layerOptions !== undefined && (!Array.isArray(layerOptions) || layerOptions.length !== weightLayerCount)) {
    const sizes = classic.sizes.join(', ');
    throw new InvalidArgumentError(
      'layers',
      layerOptions,
      `an array of ${weightLayerCount} entries, one per weight layer of the network (sizes ${sizes})`,
    );
  }

  const build = (index: number, inputLayer: BrainLayer): BrainLayer =>
    buildWeightLayer(index, classic.layers[index], classic.activation, inputLayer, options);

  const hiddenLayers = classic.layers
    .slice(0, -1)
    .map((_, index) => (inputLayer: BrainLayer): BrainLayer => build(index, inputLayer));
  const outputSize = classic.sizes[classic.sizes.length - 1];

  const network = new FeedForward({
    inputLayer: () => layer.input({ height: classic.sizes[0] }),
    hiddenLayers,
    outputLayer: (inputLayer: BrainLayer) =>
      columnTarget({ height: outputSize }, build(weightLayerCount - 1, inputLayer)),
    ...(options.praxisOpts === undefined ? {} : { praxisOpts: options.praxisOpts }),
  });
  network.initialize();
  return network;
}

function checkOptions(options: unknown): asserts options is FactorizeNeuralNetworkOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', options, 'an object with rank or rankScale, such as { rankScale: 0.5 }');
  }
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) {
      const reason = ['initialization', 'kernelInitializer', 'seed'].includes(key)
        ? 'no initialization options, because the factors come from the SVD of the trained weights ' +
          '(set svd.seed for a randomized SVD); valid options are '
        : '';
      throw new InvalidArgumentError(
        'option name',
        key,
        `${reason}one of ${knownOptions.map((name) => `'${name}'`).join(', ')}`,
      );
    }
  }
}

function buildWeightLayer(
  index: number,
  classicLayer: ClassicLayer,
  activation: ActivationName,
  inputLayer: BrainLayer,
  options: FactorizeNeuralNetworkOptions,
): BrainLayer {
  const override = options.layers?.[index];
  const outputSize = classicLayer.weights.rows;
  const inputSize = classicLayer.weights.columns;
  const id = `layer${index + 1}`;

  if (override === 'dense') {
    return denseLayer(id, classicLayer, activation, inputLayer, options.praxisOpts);
  }

  const layerOptions = mergeLayerOptions(index, options, override);
  const resolved = withLayerContext(index, inputSize, outputSize, () =>
    resolveFactorizationOptions({ ...layerOptions, initialization: 'spectral' }, inputSize, outputSize),
  );

  // Core's kernel is in × out, the transpose of brain.js' weight.
  const kernel = classicLayer.weights.transpose();
  const initialFactors = withLayerContext(index, inputSize, outputSize, () =>
    spectralFactors(kernel, resolved.rank, { factors: resolved.factors, svd: options.svd }),
  );

  return factorizedFullyConnected(
    {
      id,
      height: outputSize,
      activation,
      initialFactors,
      initialBiases: classicLayer.biases,
      rank: resolved.rank,
      factors: resolved.factors,
      overcomplete: resolved.overcomplete,
      frobeniusDecay: resolved.frobeniusDecay,
      weightDecay: resolved.weightDecay,
      ...(options.praxisOpts === undefined ? {} : { praxisOpts: options.praxisOpts }),
    },
    inputLayer,
  );
}

function mergeLayerOptions(
  index: number,
  options: FactorizeNeuralNetworkOptions,
  override: LayerFactorization | undefined,
): LayerFactorization {
  const shared: LayerFactorization = {};
  for (const name of layerOptionNames) {
    const value = options[name as keyof LayerFactorization];
    if (value !== undefined) {
      (shared as Record<string, unknown>)[name] = value;
    }
  }
  if (override === undefined) {
    return shared;
  }

  if (typeof override !== 'object' || override === null) {
    throw new InvalidArgumentError(`layers[${index}]`, override, "an object of factorization options or 'dense'");
  }
  for (const key of Object.keys(override)) {
    if (!layerOptionNames.includes(key)) {
      throw new InvalidArgumentError(
        `option name in layers[${index}]`,
        key,
        `one of ${layerOptionNames.map((name) => `'${name}'`).join(', ')}`,
      );
    }
  }

  if (override.rank !== undefined || override.rankScale !== undefined) {
    delete shared.rank;
    delete shared.rankScale;
  }
  return { ...shared, ...override };
}

/** Runs `compute`, prefixing the message of an InvalidArgumentError with the weight layer it concerns. */
function withLayerContext<T>(index: number, inputSize: number, outputSize: number, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      error.message = `Layer "layer${index + 1}" (${inputSize} → ${outputSize}, options.layers[${index}]): ${error.message}`;
    }
    throw error;
  }
}

/** Builds activation(W·x + b) from brain.js' own random, multiply and add layers, with the given weights. */
function denseLayer(
  id: string,
  classicLayer: ClassicLayer,
  activation: ActivationName,
  inputLayer: BrainLayer,
  praxisOpts: PraxisOptions | undefined,
): BrainLayer {
  const { weights, biases } = classicLayer;
  const weightLayer = layer.random({
    id: `${id}.weights`,
    height: weights.rows,
    width: weights.columns,
    weights: brainRowsFromMatrix(weights, false),
    praxisOpts: praxisOpts ?? null,
  });
  const biasLayer = layer.random({
    id: `${id}.biases`,
    height: weights.rows,
    width: 1,
    weights: brainColumnFromVector('biases', biases, weights.rows),
    praxisOpts: praxisOpts ?? null,
  });
  return applyActivation(activation, layer.add(layer.multiply(weightLayer, inputLayer), biasLayer));
}
