import { InvalidArgumentError } from '@factorized/core';
import { FeedForward } from 'brain.js';

import type { BrainFeedForward, BrainLayer } from './brain-types.js';
import { FactorWeights } from './factor-weights.js';
import type { FactorizedLayer } from './factorized-layer.js';

/** Throws InvalidArgumentError naming `argument` unless `net` is a brain.js FeedForward. */
export function checkFeedForward(argument: string, net: unknown): asserts net is BrainFeedForward {
  if (!(net instanceof FeedForward)) {
    throw new InvalidArgumentError(argument, describe(net), 'a brain.js FeedForward network (brain.js 2.0.0-beta.24)');
  }
}

/**
 * Returns the layers of `net`, initializing it first when it has none yet. A FeedForward
 * built from `inputLayer` and `hiddenLayers` functions creates its layers only in
 * `initialize()`, which `train` calls but `run` and brain.js' `fromJSON` do not.
 */
export function layersOf(net: BrainFeedForward): BrainLayer[] {
  if (net.layers === null) {
    net.initialize();
  }
  return net.layers ?? [];
}

/**
 * Returns the factorized layers of `net` in the order of its layers, initializing the network
 * first when needed (see layersOf). Throws InvalidArgumentError when two factorized layers
 * share an id, because the JSON of the network could not tell them apart, or when a factor
 * layer belongs to no factorized layer.
 */
export function factorizedLayers(net: BrainFeedForward): FactorizedLayer[] {
  checkFeedForward('net', net);
  const result: FactorizedLayer[] = [];
  const ids = new Set<string>();

  for (const brainLayer of layersOf(net)) {
    if (!(brainLayer instanceof FactorWeights)) {
      continue;
    }

    const owner = brainLayer.factorizedLayer;
    if (owner === null) {
      throw new InvalidArgumentError(
        `${brainLayer.role} factor "${brainLayer.layerId}"`,
        brainLayer.layerId,
        'a factor layer linked to its factorized layer',
      );
    }
    if (result.includes(owner)) {
      continue;
    }
    if (ids.has(owner.id)) {
      throw new InvalidArgumentError('id', owner.id, 'an id used by one factorized layer of the network only');
    }

    ids.add(owner.id);
    result.push(owner);
  }
  return result;
}

function describe(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    return `an instance of ${value.constructor?.name ?? 'Object'}`;
  }
  return value;
}
