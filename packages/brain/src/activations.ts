import { InvalidArgumentError } from '@factorized/core';
import { layer } from 'brain.js';

import type { BrainLayer } from './brain-types.js';

/**
 * The activation after a factorized layer, one of brain.js' activation layers:
 * `'sigmoid'` (layer.sigmoid, the activation of brain.js' feedForward), `'relu'`, `'tanh'`,
 * `'leakyRelu'` (slope 0.01 below zero, fixed by brain.js) or `'linear'` for none.
 */
export type ActivationName = 'sigmoid' | 'relu' | 'tanh' | 'leakyRelu' | 'linear';

/** Activation names as written in the options of brain.js' classic NeuralNetwork. */
export type ClassicActivationName = 'sigmoid' | 'relu' | 'tanh' | 'leaky-relu';

const activationNames: readonly ActivationName[] = ['sigmoid', 'relu', 'tanh', 'leakyRelu', 'linear'];

/** The `type` field that brain.js writes in the JSON of each activation layer. */
const activationByLayerType: Readonly<Record<string, Exclude<ActivationName, 'linear'>>> = {
  Sigmoid: 'sigmoid',
  Relu: 'relu',
  Tanh: 'tanh',
  LeakyRelu: 'leakyRelu',
};

const classicByActivation: Readonly<Record<Exclude<ActivationName, 'linear'>, ClassicActivationName>> = {
  sigmoid: 'sigmoid',
  relu: 'relu',
  tanh: 'tanh',
  leakyRelu: 'leaky-relu',
};

/** Throws InvalidArgumentError naming `argument` unless `value` is an ActivationName. */
export function checkActivationName(argument: string, value: unknown): asserts value is ActivationName {
  if (!activationNames.includes(value as ActivationName)) {
    throw new InvalidArgumentError(argument, value, `one of ${activationNames.map((name) => `'${name}'`).join(', ')}`);
  }
}

/** Appends brain.js' activation layer `name` to `inputLayer`, or returns `inputLayer` for 'linear'. */
export function applyActivation(name: ActivationName, inputLayer: BrainLayer): BrainLayer {
  switch (name) {
    case 'sigmoid':
      return layer.sigmoid(inputLayer);
    case 'relu':
      return layer.relu(inputLayer);
    case 'tanh':
      return layer.tanh(inputLayer);
    case 'leakyRelu':
      return layer.leakyRelu(inputLayer, {});
    case 'linear':
      return inputLayer;
  }
}

/** Returns the activation of a brain.js layer JSON `type` ('Sigmoid' → 'sigmoid'), or null for other layers. */
export function activationOfLayerType(type: string): Exclude<ActivationName, 'linear'> | null {
  return Object.prototype.hasOwnProperty.call(activationByLayerType, type) ? activationByLayerType[type] : null;
}

/** Returns the classic NeuralNetwork name of an activation ('leakyRelu' → 'leaky-relu'). */
export function classicActivationName(name: Exclude<ActivationName, 'linear'>): ClassicActivationName {
  return classicByActivation[name];
}

/** Returns the activation of a classic NeuralNetwork name, or null when the name is unknown. */
export function activationOfClassicName(name: unknown): Exclude<ActivationName, 'linear'> | null {
  for (const [activation, classic] of Object.entries(classicByActivation)) {
    if (classic === name) {
      return activation as Exclude<ActivationName, 'linear'>;
    }
  }
  return null;
}
