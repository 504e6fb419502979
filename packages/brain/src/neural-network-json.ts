import { InvalidArgumentError, Matrix, UnsupportedError } from '@factorized/core';

import type { ActivationName } from './activations.js';
import { activationOfLayerType } from './activations.js';
import type { BrainFeedForward, FeedForwardJSON, LayerJSON } from './brain-types.js';
import type { ClassicLayer, ClassicNetwork, NeuralNetworkJSONVersion } from './classic-network.js';
import { writeClassicNetworkJSON } from './classic-network.js';
import { collapseJSON } from './collapse.js';
import { COLUMN_TARGET_TYPE } from './column-target.js';
import { checkFeedForward } from './network-layers.js';
import { feedForwardToJSON } from './serialization.js';

/** Options of `toNeuralNetworkJSON`. */
export interface ToNeuralNetworkJSONOptions {
  /**
   * The brain.js major version whose NeuralNetwork.fromJSON reads the result: 2 for
   * 2.0.0-beta.24 (default), 1 for 1.6.1. The two JSON formats differ.
   */
  version?: NeuralNetworkJSONVersion;
}

/**
 * Writes a FeedForward network that is a plain stack as the JSON of a classic brain.js
 * NeuralNetwork. The stack is input → (weights·x + biases → one activation)* → target, and
 * `new NeuralNetwork().fromJSON(json)` loads the result with brain.js alone and runs it with the
 * same outputs up to float32 rounding. Factorized layers are collapsed first (see `collapse`),
 * and dense layers built from brain.js' random, multiply and add layers qualify too.
 *
 * Throws UnsupportedError when the network is not such a stack: a layer without activation
 * (brain.js' output layer, for example), different activations in different layers (the
 * classic network has one), other layer types, or leaky relu for version 1.
 */
export function toNeuralNetworkJSON(
  net: BrainFeedForward,
  options: ToNeuralNetworkJSONOptions = {},
): Record<string, unknown> {
  checkFeedForward('net', net);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', options, 'an object such as { version: 2 }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'version') {
      throw new InvalidArgumentError('option name', key, "'version'");
    }
  }

  const version = options.version ?? 2;
  if (version !== 1 && version !== 2) {
    throw new InvalidArgumentError('version', version, '1 (brain.js 1.6.1) or 2 (brain.js 2.0.0-beta.24)');
  }

  const json = collapseJSON(feedForwardToJSON(net));
  return writeClassicNetworkJSON(classicNetworkOfStack(json), version);
}

/** Reads the weight layers of a plain-stack FeedForward JSON, output first, then reverses them. */
function classicNetworkOfStack(json: FeedForwardJSON): ClassicNetwork {
  const layers = json.layers;
  const output = layers[json.outputLayerIndex];
  if ((output.type !== 'Target' && output.type !== COLUMN_TARGET_TYPE) || output.inputLayerIndex === undefined) {
    throw notAStack(`its output layer is ${output.type}, not a target layer`);
  }

  const weightLayers: ClassicLayer[] = [];
  const activations: Exclude<ActivationName, 'linear'>[] = [];
  let current = output.inputLayerIndex;

  for (;;) {
    const activationLayer = layers[current];
    const activation = activationOfLayerType(activationLayer.type);
    if (activation === null || activationLayer.inputLayerIndex === undefined) {
      throw notAStack(
        `layer ${current} is ${activationLayer.type}, where an activation is needed, ` +
          'because the classic NeuralNetwork activates every layer, the output included',
      );
    }

    const { weightLayer, inputIndex } = readAffineLayer(layers, activationLayer.inputLayerIndex);
    weightLayers.push(weightLayer);
    activations.push(activation);

    const input = layers[inputIndex];
    if (input.type === 'Input') {
      if (inputIndex !== json.inputLayerIndex || (input.width ?? 1) !== 1) {
        throw notAStack(`layer ${inputIndex} is not the network's column input layer`);
      }
      break;
    }
    current = inputIndex;
  }

  const activation = activations[0];
  if (!activations.every((name) => name === activation)) {
    throw notAStack(
      `its layers use different activations (${activations
        .reverse()
        .join(', ')}), but the classic NeuralNetwork has one`,
    );
  }

  weightLayers.reverse();
  const sizes = [weightLayers[0].weights.columns, ...weightLayers.map((weightLayer) => weightLayer.weights.rows)];
  return { sizes, activation, layers: weightLayers };
}

/** Reads add(multiply(weights, input), biases), in either order of the add's inputs. */
function readAffineLayer(
  layers: readonly LayerJSON[],
  addIndex: number,
): { weightLayer: ClassicLayer; inputIndex: number } {
  const add = layers[addIndex];
  if (add.type !== 'Add' || add.inputLayer1Index === undefined || add.inputLayer2Index === undefined) {
    throw notAStack(`layer ${addIndex} is ${add.type}, where the add of weights·x and biases is needed`);
  }

  const [multiplyIndex, biasIndex] =
    layers[add.inputLayer1Index].type === 'Multiply'
      ? [add.inputLayer1Index, add.inputLayer2Index]
      : [add.inputLayer2Index, add.inputLayer1Index];
  const multiply = layers[multiplyIndex];
  const biasLayer = layers[biasIndex];
  if (multiply.type !== 'Multiply' || biasLayer.type !== 'Random' || multiply.inputLayer1Index === undefined) {
    throw notAStack(`layer ${addIndex} does not add a multiply layer and a bias layer`);
  }

  const weightsLayer = layers[multiply.inputLayer1Index];
  if (weightsLayer.type !== 'Random' || multiply.inputLayer2Index === undefined) {
    throw notAStack(`multiply layer ${multiplyIndex} does not multiply a weight layer with its input`);
  }

  const outputSize = weightsLayer.height ?? 0;
  const inputSize = weightsLayer.width ?? 0;
  const weights = Matrix.from(outputSize, inputSize, flatten(weightsLayer.weights));
  const biases = Float64Array.from(flatten(biasLayer.weights));
  if (biases.length !== outputSize || (biasLayer.width ?? 1) !== 1) {
    throw notAStack(`bias layer ${biasIndex} has ${biases.length} values for ${outputSize} outputs`);
  }

  return { weightLayer: { weights, biases }, inputIndex: multiply.inputLayer2Index };
}

function flatten(weights: LayerJSON['weights']): number[] {
  if (!Array.isArray(weights)) {
    return [];
  }
  return (weights as unknown[]).flat(2) as number[];
}

function notAStack(reason: string): UnsupportedError {
  return new UnsupportedError(
    `The network cannot be written as a classic NeuralNetwork, which is a plain stack of activated layers: ${reason}.`,
  );
}
