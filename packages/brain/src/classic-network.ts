import { formatValue, InvalidArgumentError, Matrix, NonFiniteValueError, UnsupportedError } from '@factorized/core';
import { FeedForward } from 'brain.js';

import type { ActivationName } from './activations.js';
import { activationOfClassicName, classicActivationName } from './activations.js';

/** One weight layer of a classic NeuralNetwork, in brain.js order, with float32 values. */
export interface ClassicLayer {
  /** out × in: row j contains the weights into node j. */
  weights: Matrix;
  /** out biases. */
  biases: Float64Array;
}

/** The parts of a classic brain.js NeuralNetwork that determine what `run` computes. */
export interface ClassicNetwork {
  /** Nodes per layer, input first. */
  sizes: number[];
  /** The activation of every layer after the input, the output layer included. */
  activation: Exclude<ActivationName, 'linear'>;
  /** sizes.length − 1 weight layers. */
  layers: ClassicLayer[];
}

/** The major version of brain.js whose classic NeuralNetwork JSON format to write. */
export type NeuralNetworkJSONVersion = 1 | 2;

/** brain.js' leaky-relu slope of its layer API and the default of its 2.x NeuralNetwork. */
const layerLeakyReluAlpha = 0.01;

/**
 * Reads a classic brain.js NeuralNetwork, an instance or the JSON of its `toJSON()`, in the
 * format of brain.js 1.x (layers as objects keyed by node) or 2.x (layers with `weights` and
 * `biases` arrays).
 *
 * Throws InvalidArgumentError naming `argument` for anything else, for an untrained network and
 * for malformed weights, NonFiniteValueError for NaN or ±Infinity weights, and
 * UnsupportedError for networks trained on objects (input or output lookup tables) and for
 * leaky-relu networks that brain.js' leakyRelu layer computes differently: brain.js 1.x
 * computes `sum < 0 ? 0 : α·sum`, and 2.x networks with α ≠ 0.01.
 */
export function readClassicNetwork(argument: string, source: unknown): ClassicNetwork {
  const json = classicJSONOf(argument, source);

  const sizesJSON: unknown = json.sizes;
  if (
    !Array.isArray(sizesJSON) ||
    sizesJSON.length < 2 ||
    !sizesJSON.every((size) => Number.isSafeInteger(size) && size >= 1)
  ) {
    throw new InvalidArgumentError(`${argument}.sizes`, sizesJSON, 'an array of at least two positive integers');
  }
  const sizes = sizesJSON as number[];
  const layersJSON = json.layers;
  if (!Array.isArray(layersJSON) || layersJSON.length !== sizes.length) {
    throw new InvalidArgumentError(
      `${argument}.layers`,
      layersJSON,
      `an array of ${sizes.length} layers, one per size`,
    );
  }

  const version = isVersion2Layer(layersJSON[1]) ? 2 : 1;
  checkNoLookups(argument, json, version, sizes);
  const activation = readActivation(argument, json, version);

  const layers: ClassicLayer[] = [];
  for (let index = 1; index < sizes.length; index++) {
    const layerArgument = `${argument}.layers[${index}]`;
    layers.push(
      version === 2
        ? readVersion2Layer(layerArgument, layersJSON[index], sizes[index], sizes[index - 1])
        : readVersion1Layer(layerArgument, layersJSON[index], sizes[index], sizes[index - 1]),
    );
  }

  return { sizes: sizes.slice(), activation, layers };
}

/**
 * Writes `network` as the JSON of a classic NeuralNetwork that `new NeuralNetwork().fromJSON`
 * of brain.js `version` 1 (1.6.1) or 2 (2.0.0-beta.24) loads. The two formats differ, so each
 * version gets its own. Throws UnsupportedError for leaky relu in version 1, which computes
 * `sum < 0 ? 0 : 0.01·sum` instead of brain.js' leakyRelu layer.
 */
export function writeClassicNetworkJSON(
  network: ClassicNetwork,
  version: NeuralNetworkJSONVersion,
): Record<string, unknown> {
  const activation = classicActivationName(network.activation);
  const sizes = network.sizes.slice();

  if (version === 1) {
    if (network.activation === 'leakyRelu') {
      throw new UnsupportedError(
        'brain.js 1.x NeuralNetwork computes leaky relu as `sum < 0 ? 0 : 0.01·sum`, ' +
          "not as brain.js' leakyRelu layer does; write version 2 instead.",
      );
    }
    return writeVersion1(network, sizes, activation);
  }

  return {
    type: 'NeuralNetwork',
    sizes,
    layers: [
      { weights: [], biases: [] },
      ...network.layers.map((classicLayer) => ({
        weights: classicLayer.weights.toRows().map((row) => row.map(Math.fround)),
        biases: Array.from(classicLayer.biases, Math.fround),
      })),
    ],
    inputLookup: null,
    inputLookupLength: 0,
    outputLookup: null,
    outputLookupLength: 0,
    options: {
      inputSize: sizes[0],
      outputSize: sizes[sizes.length - 1],
      binaryThresh: 0.5,
      hiddenLayers: sizes.slice(1, -1),
      activation,
    },
    // NeuralNetwork.fromJSON of 2.0.0-beta.24 replaces its training options with these and
    // validates them, so all of them are written, with brain.js' defaults.
    trainOpts: {
      activation,
      iterations: 20000,
      errorThresh: 0.005,
      log: false,
      logPeriod: 10,
      leakyReluAlpha: layerLeakyReluAlpha,
      learningRate: 0.3,
      momentum: 0.1,
      callbackPeriod: 10,
      timeout: 'Infinity',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
  };
}

function writeVersion1(network: ClassicNetwork, sizes: number[], activation: string): Record<string, unknown> {
  const inputLayer: Record<string, object> = {};
  for (let node = 0; node < sizes[0]; node++) {
    inputLayer[String(node)] = {};
  }

  const layers: Record<string, unknown>[] = [inputLayer];
  for (const classicLayer of network.layers) {
    const nodes: Record<string, unknown> = {};
    const { weights, biases } = classicLayer;
    for (let node = 0; node < weights.rows; node++) {
      const nodeWeights: Record<string, number> = {};
      for (let input = 0; input < weights.columns; input++) {
        nodeWeights[String(input)] = Math.fround(weights.get(node, input));
      }
      nodes[String(node)] = { bias: Math.fround(biases[node]), weights: nodeWeights };
    }
    layers.push(nodes);
  }

  return { sizes, layers, outputLookup: false, inputLookup: false, activation };
}

function classicJSONOf(argument: string, source: unknown): Record<string, unknown> {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new InvalidArgumentError(argument, source, 'a classic brain.js NeuralNetwork or the JSON of its toJSON()');
  }

  if (source instanceof FeedForward) {
    throw new InvalidArgumentError(
      argument,
      'a FeedForward network',
      'a classic brain.js NeuralNetwork or the JSON of its toJSON()',
    );
  }

  const candidate = source as Record<string, unknown>;
  if (typeof candidate.toJSON !== 'function') {
    return candidate;
  }

  const sizes = candidate.sizes;
  if (!Array.isArray(sizes) || sizes.length === 0) {
    throw new InvalidArgumentError(
      `${argument}.sizes`,
      sizes,
      'the sizes of a trained NeuralNetwork; train it or load it first',
    );
  }

  const json = (candidate.toJSON as () => unknown).call(source);
  if (typeof json !== 'object' || json === null) {
    throw new InvalidArgumentError(`${argument}.toJSON()`, json, 'the JSON of a classic brain.js NeuralNetwork');
  }
  return json as Record<string, unknown>;
}

function isVersion2Layer(layerJSON: unknown): boolean {
  return (
    typeof layerJSON === 'object' && layerJSON !== null && Array.isArray((layerJSON as { weights?: unknown }).weights)
  );
}

function checkNoLookups(argument: string, json: Record<string, unknown>, version: 1 | 2, sizes: number[]): void {
  const layers = json.layers as unknown[];
  for (const key of ['inputLookup', 'outputLookup'] as const) {
    // brain.js 1.x writes `inputLookup: this.inputLookup !== null`. Its own fromJSON copies the
    // JSON's `false` onto the network, so that flag is true after a load. 1.x lookups are
    // therefore recognized by node keys other than 0 … n − 1 in the input or output layer.
    const layerIndex = key === 'inputLookup' ? 0 : sizes.length - 1;
    const present =
      version === 1
        ? !hasIndexKeys(layers[layerIndex], sizes[layerIndex])
        : json[key] !== null && json[key] !== undefined;
    if (present) {
      throw new UnsupportedError(
        `${argument}.${key} is set: networks trained on objects (lookup tables) are not supported yet, ` +
          'only networks trained on arrays.',
      );
    }
  }
}

function hasIndexKeys(layerJSON: unknown, size: number): boolean {
  if (typeof layerJSON !== 'object' || layerJSON === null) {
    return false;
  }
  const keys = Object.keys(layerJSON);
  return keys.length === size && keys.every((key, index) => key === String(index));
}

function readActivation(
  argument: string,
  json: Record<string, unknown>,
  version: 1 | 2,
): Exclude<ActivationName, 'linear'> {
  // 2.x reads its activation from the training options and ignores options.activation.
  const trainOpts = (json.trainOpts ?? {}) as Record<string, unknown>;
  const name = version === 2 ? trainOpts.activation ?? 'sigmoid' : json.activation ?? 'sigmoid';
  const activationArgument = version === 2 ? `${argument}.trainOpts.activation` : `${argument}.activation`;
  const activation = activationOfClassicName(name);
  if (activation === null) {
    throw new InvalidArgumentError(activationArgument, name, "'sigmoid', 'relu', 'leaky-relu' or 'tanh'");
  }

  if (activation === 'leakyRelu') {
    if (version === 1) {
      throw new UnsupportedError(
        'brain.js 1.x NeuralNetwork computes leaky relu as `sum < 0 ? 0 : α·sum`, ' +
          "which brain.js' leakyRelu layer does not; only 2.x leaky-relu networks are supported.",
      );
    }
    const alpha = trainOpts.leakyReluAlpha ?? layerLeakyReluAlpha;
    if (alpha !== layerLeakyReluAlpha) {
      throw new UnsupportedError(
        `${argument}.trainOpts.leakyReluAlpha is ${formatValue(
          alpha,
        )}, but brain.js' leakyRelu layer has the fixed slope ${layerLeakyReluAlpha}.`,
      );
    }
  }
  return activation;
}

function readVersion2Layer(argument: string, layerJSON: unknown, outputSize: number, inputSize: number): ClassicLayer {
  const { weights, biases } = (layerJSON ?? {}) as { weights?: unknown; biases?: unknown };
  if (!Array.isArray(weights) || weights.length !== outputSize) {
    throw new InvalidArgumentError(`${argument}.weights`, weights, `${outputSize} rows of ${inputSize} numbers`);
  }

  const matrix = new Matrix(outputSize, inputSize);
  weights.forEach((row: unknown, node) => {
    if (!isNumberArray(row) || row.length !== inputSize) {
      throw new InvalidArgumentError(`${argument}.weights[${node}]`, row, `an array of ${inputSize} numbers`);
    }
    for (let input = 0; input < inputSize; input++) {
      matrix.set(node, input, finiteEntry(`${argument}.weights[${node}][${input}]`, row[input]));
    }
  });

  if (!isNumberArray(biases) || biases.length !== outputSize) {
    throw new InvalidArgumentError(`${argument}.biases`, biases, `an array of ${outputSize} numbers`);
  }
  const biasVector = Float64Array.from({ length: outputSize }, (_, node) =>
    finiteEntry(`${argument}.biases[${node}]`, biases[node]),
  );
  return { weights: matrix, biases: biasVector };
}

function readVersion1Layer(argument: string, layerJSON: unknown, outputSize: number, inputSize: number): ClassicLayer {
  if (typeof layerJSON !== 'object' || layerJSON === null) {
    throw new InvalidArgumentError(argument, layerJSON, `an object of ${outputSize} nodes`);
  }
  const nodes = Object.keys(layerJSON);
  if (nodes.length !== outputSize) {
    throw new InvalidArgumentError(argument, `${nodes.length} nodes`, `${outputSize} nodes, the size of this layer in sizes`);
  }

  const matrix = new Matrix(outputSize, inputSize);
  const biases = new Float64Array(outputSize);
  nodes.forEach((key, node) => {
    const nodeJSON = (layerJSON as Record<string, unknown>)[key] as { bias?: unknown; weights?: unknown } | null;
    const weights = nodeJSON?.weights;
    if (typeof weights !== 'object' || weights === null) {
      throw new InvalidArgumentError(`${argument}["${key}"].weights`, weights, `an object of ${inputSize} weights`);
    }

    // brain.js 1.x reads a node's weights in the key order of its weights object.
    const values = Object.values(weights as Record<string, unknown>);
    if (values.length !== inputSize) {
      throw new InvalidArgumentError(
        `${argument}["${key}"].weights`,
        `${values.length} weights`,
        `${inputSize} weights`,
      );
    }
    values.forEach((value, input) => {
      matrix.set(node, input, finiteEntry(`${argument}["${key}"].weights[${input}]`, value));
    });
    biases[node] = finiteEntry(`${argument}["${key}"].bias`, nodeJSON?.bias);
  });

  return { weights: matrix, biases };
}

function isNumberArray(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array;
}

function finiteEntry(argument: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(argument, value, 'a number');
  }
  if (!Number.isFinite(value)) {
    throw new NonFiniteValueError(`${argument} is ${value}; every weight and bias must be finite.`);
  }
  // NeuralNetwork.fromJSON of both versions stores weights and biases in Float32Arrays.
  return Math.fround(value);
}
