import type { Factors } from '@factorized/core';
import { collapse as collapseFactors, UnsupportedError } from '@factorized/core';

import type { BrainFeedForward, FactorRole, FeedForwardJSON, LayerJSON } from './brain-types.js';
import { FACTOR_WEIGHTS_TYPE } from './factor-weights.js';
import { checkFeedForward } from './network-layers.js';
import { feedForwardFromJSON, feedForwardToJSON } from './serialization.js';
import { brainRowsFromMatrix, matrixFromBrainRows } from './weight-layout.js';

/**
 * Returns a new FeedForward network that computes what `net` computes, with every factorized
 * layer's chain Vᵀ·(Mᵀ·(Uᵀ·x)) replaced by one random weight layer that contains
 * Wᵀ = (U·M·V)ᵀ, rounded to float32, and one multiply. Biases, activations and every other
 * layer are copied. So the result consists of brain.js' own layers, except that a ColumnTarget
 * stays a ColumnTarget, because brain.js' target trains multiple outputs wrongly. Without a
 * ColumnTarget the result loads with brain.js alone, after the `initialize()` that brain.js'
 * own fromJSON skips.
 *
 * Outputs differ from `net`'s only by float32 rounding: the factorized network rounds Uᵀ·x to
 * float32 before applying Vᵀ. The praxis of each new weight layer starts fresh, with the
 * options of the left factor's praxis.
 *
 * Throws UnsupportedError when a factor layer does not feed exactly the chain of multiply
 * layers that factorizedFullyConnected builds.
 */
export function collapse(net: BrainFeedForward): BrainFeedForward {
  checkFeedForward('net', net);
  return feedForwardFromJSON(collapseJSON(feedForwardToJSON(net)));
}

/** Rewrites FeedForward JSON with each factorized layer replaced by a dense one, as `collapse` describes. */
export function collapseJSON(json: FeedForwardJSON): FeedForwardJSON {
  const layers = json.layers;
  const groups = groupFactorLayers(layers);
  if (groups.size === 0) {
    return json;
  }

  const replaced = new Map<number, LayerJSON>();
  const removed = new Set<number>();
  const redirect = new Map<number, number>();

  for (const [id, group] of groups) {
    const chain = findChain(layers, id, group);
    const factors = factorsOf(layers, group);
    const product = collapseFactors(factors);
    const inputSize = product.rows;
    const outputSize = product.columns;

    replaced.set(group.left, {
      type: 'Random',
      width: inputSize,
      height: outputSize,
      depth: 0,
      weights: brainRowsFromMatrix(product, true).map((row) => Array.from(row)),
      praxisOpts: layers[group.left].praxisOpts ?? null,
    });
    replaced.set(chain.first, {
      type: 'Multiply',
      width: 1,
      height: outputSize,
      depth: 0,
      weights: null,
      praxisOpts: null,
      inputLayer1Index: group.left,
      inputLayer2Index: layers[chain.first].inputLayer2Index,
    });

    for (const index of [group.middle, chain.middle, group.right, chain.last]) {
      if (index !== undefined) {
        removed.add(index);
      }
    }
    redirect.set(chain.last, chain.first);
  }

  return reindex(json, replaced, removed, redirect);
}

interface FactorGroup {
  left: number;
  middle?: number;
  right: number;
}

interface MultiplyChain {
  /** Multiply of the left factor and the layer's input. */
  first: number;
  /** Multiply of the middle factor, for three factors. */
  middle?: number;
  /** Multiply of the right factor, the layer's product. */
  last: number;
}

function groupFactorLayers(layers: readonly LayerJSON[]): Map<string, FactorGroup> {
  const partial = new Map<string, Partial<Record<FactorRole, number>>>();
  layers.forEach((layerJSON, index) => {
    if (layerJSON.type !== FACTOR_WEIGHTS_TYPE || layerJSON.factorization === undefined) {
      return;
    }
    const { layer: id, role } = layerJSON.factorization;
    const group = partial.get(id) ?? {};
    if (group[role] !== undefined) {
      throw new UnsupportedError(`Layer "${id}" has two ${role} factors, at layers ${group[role]} and ${index}.`);
    }
    group[role] = index;
    partial.set(id, group);
  });

  const groups = new Map<string, FactorGroup>();
  for (const [id, group] of partial) {
    if (group.left === undefined || group.right === undefined) {
      throw new UnsupportedError(`Layer "${id}" is missing its ${group.left === undefined ? 'left' : 'right'} factor.`);
    }
    groups.set(id, { left: group.left, middle: group.middle, right: group.right });
  }
  return groups;
}

function consumersOf(layers: readonly LayerJSON[], index: number): number[] {
  const result: number[] = [];
  layers.forEach((layerJSON, consumer) => {
    if (
      layerJSON.inputLayerIndex === index ||
      layerJSON.inputLayer1Index === index ||
      layerJSON.inputLayer2Index === index
    ) {
      result.push(consumer);
    }
  });
  return result;
}

/** Finds the multiply layers of a factorized layer, checking that nothing else reads them or the factors. */
function findChain(layers: readonly LayerJSON[], id: string, group: FactorGroup): MultiplyChain {
  const multiplyOf = (factor: number, input: number | undefined, role: FactorRole): number => {
    const consumers = consumersOf(layers, factor);
    const multiply = consumers.length === 1 ? layers[consumers[0]] : undefined;
    if (
      multiply === undefined ||
      multiply.type !== 'Multiply' ||
      multiply.inputLayer1Index !== factor ||
      (input !== undefined && multiply.inputLayer2Index !== input)
    ) {
      throw new UnsupportedError(
        `The ${role} factor of layer "${id}" (layer ${factor}) must feed exactly one multiply layer ` +
          'as its first input, in the chain that factorizedFullyConnected builds.',
      );
    }
    return consumers[0];
  };

  const onlyConsumer = (index: number, next: number): void => {
    const consumers = consumersOf(layers, index);
    if (consumers.length !== 1 || consumers[0] !== next) {
      throw new UnsupportedError(
        `The partial product at layer ${index} of layer "${id}" is read by layers ${consumers.join(', ')}, ` +
          `not only by the next multiply, so the layer cannot be collapsed.`,
      );
    }
  };

  const first = multiplyOf(group.left, undefined, 'left');
  let previous = first;
  let middle: number | undefined;
  if (group.middle !== undefined) {
    middle = multiplyOf(group.middle, previous, 'middle');
    onlyConsumer(previous, middle);
    previous = middle;
  }
  const last = multiplyOf(group.right, previous, 'right');
  onlyConsumer(previous, last);
  return { first, middle, last };
}

function factorsOf(layers: readonly LayerJSON[], group: FactorGroup): Factors {
  const read = (index: number) => {
    const layerJSON = layers[index];
    return matrixFromBrainRows(
      `layers[${index}].weights`,
      layerJSON.weights,
      layerJSON.height ?? 0,
      layerJSON.width ?? 0,
      true,
    );
  };

  const left = read(group.left);
  const right = read(group.right);
  return group.middle === undefined ? { left, right } : { left, middle: read(group.middle), right };
}

function reindex(
  json: FeedForwardJSON,
  replaced: ReadonlyMap<number, LayerJSON>,
  removed: ReadonlySet<number>,
  redirect: ReadonlyMap<number, number>,
): FeedForwardJSON {
  const newIndex = new Map<number, number>();
  const remainingLayers: LayerJSON[] = [];
  json.layers.forEach((layerJSON, index) => {
    if (!removed.has(index)) {
      newIndex.set(index, remainingLayers.length);
      remainingLayers.push(replaced.get(index) ?? layerJSON);
    }
  });

  const map = (index: number | undefined): number | undefined => {
    if (index === undefined) {
      return undefined;
    }
    const target = redirect.get(index) ?? index;
    const mapped = newIndex.get(target);
    if (mapped === undefined) {
      throw new UnsupportedError(`Layer ${index} of the network reads a layer that collapse removes.`);
    }
    return mapped;
  };

  const layers = remainingLayers.map((layerJSON) => {
    const copy: LayerJSON = { ...layerJSON };
    for (const key of ['inputLayerIndex', 'inputLayer1Index', 'inputLayer2Index'] as const) {
      if (copy[key] !== undefined) {
        copy[key] = map(copy[key]);
      }
    }
    return copy;
  });

  return {
    ...json,
    layers,
    inputLayerIndex: map(json.inputLayerIndex) ?? 0,
    outputLayerIndex: map(json.outputLayerIndex) ?? 0,
  };
}
