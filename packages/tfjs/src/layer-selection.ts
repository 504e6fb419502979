import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@factorized/core';
import type { ResolvedFactorizeOptions } from './factorize-options.js';
import { factorizableClassOf } from './factorized-config.js';
import type { ModelLayer } from './model-graph.js';

// Which layers the `layers` and `ranks` options of factorizeModel name, checked against the model.

/** The layers that the options select, by path. */
export interface LayerSelection {
  /** Returns true when the options select this Dense or Conv2D layer. */
  isSelected(entry: ModelLayer): boolean;
  /** Paths named one by one in `layers` or `ranks`: a layer there that cannot be factorized is an error. */
  named: ReadonlySet<string>;
  /** Fixed ranks by path, with the key the user wrote, for error messages. */
  ranks: ReadonlyMap<string, { rank: number; key: string }>;
}

/**
 * Resolves the `layers` and `ranks` options against the layers of a model. A key is a path
 * ('encoder/dense_1') or a bare name that exactly one layer has. In `layers`, the path or name
 * of a nested model selects the layers inside it.
 *
 * Throws InvalidArgumentError for a key that names no layer (the message lists the model's
 * layers), a bare name that several layers have (listing their paths), a key of `ranks` or a
 * layer name in `layers` that is not a Dense or Conv2D layer, a key of `ranks` that `layers`
 * does not select, and a predicate that returns something other than a boolean.
 */
export function selectLayers(
  layers: readonly ModelLayer[],
  nestedModels: readonly string[],
  options: ResolvedFactorizeOptions,
): LayerSelection {
  const named = new Set<string>();
  const byPath = new Map(layers.map((entry) => [entry.path, entry]));

  const ranks = new Map<string, { rank: number; key: string }>();
  for (const [key, rank] of Object.entries(options.ranks)) {
    const path = resolveKey('ranks', key, layers, []);
    checkFactorizable('ranks', key, byPath.get(path) as ModelLayer);
    ranks.set(path, { rank, key });
    named.add(path);
  }

  let isSelected: (entry: ModelLayer) => boolean;
  const selection = options.layers;
  if (typeof selection === 'function') {
    // The predicate runs once per layer, however often the selection is asked.
    const answers = new Map<string, boolean>();
    isSelected = (entry) => {
      const known = answers.get(entry.path);
      if (known !== undefined) {
        return known;
      }
      const selected = selection(entry.layer, entry.path);
      if (typeof selected !== 'boolean') {
        throw new InvalidArgumentError('layers', selected, `a predicate that returns true or false (for layer ${entry.path})`);
      }
      answers.set(entry.path, selected);
      return selected;
    };
  } else if (selection !== undefined) {
    const prefixes: string[] = [];
    const paths = new Set<string>();
    selection.forEach((key, index) => {
      const path = resolveKey(`layers[${index}]`, key, layers, nestedModels);
      if (nestedModels.includes(path)) {
        prefixes.push(`${path}/`);
        return;
      }
      checkFactorizable(`layers[${index}]`, key, byPath.get(path) as ModelLayer);
      paths.add(path);
      named.add(path);
    });
    isSelected = (entry) => paths.has(entry.path) || prefixes.some((prefix) => entry.path.startsWith(prefix));
  } else if (options.ranksSelect) {
    isSelected = (entry) => ranks.has(entry.path);
  } else {
    isSelected = () => true;
  }

  for (const [path, { key }] of ranks) {
    if (!isSelected(byPath.get(path) as ModelLayer)) {
      throw new InvalidArgumentError('ranks', key, 'names of layers that the layers option selects');
    }
  }
  return { isSelected, named, ranks };
}

/** Returns the path that `key` names, a layer's (or a nested model's, when `nestedModels` is given). */
function resolveKey(
  option: string,
  key: string,
  layers: readonly ModelLayer[],
  nestedModels: readonly string[],
): string {
  const paths = [...layers.map((entry) => entry.path), ...nestedModels];
  if (paths.includes(key)) {
    return key;
  }

  const matches = paths.filter((path) => path.slice(path.lastIndexOf('/') + 1) === key);
  if (matches.length === 1) {
    return matches[0];
  }
  if (matches.length > 1) {
    throw new InvalidArgumentError(
      option,
      key,
      `a name that only one layer has, or a path: this name belongs to ${matches.map((path) => `'${path}'`).join(', ')}`,
    );
  }
  throw new InvalidArgumentError(
    option,
    key,
    `the name or path of a layer of this model: ${paths.map((path) => `'${path}'`).join(', ')}`,
  );
}

function checkFactorizable(option: string, key: string, entry: ModelLayer): void {
  if (factorizableClassOf(entry.layer) === null) {
    throw new InvalidArgumentError(
      option,
      key,
      `the name of a Dense or Conv2D layer, but layer ${entry.path} is a ${entry.layer.getClassName()}`,
    );
  }
}

/** Returns true for the input layers of a model, which have no weights and are not reported. */
export function isInputLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}
