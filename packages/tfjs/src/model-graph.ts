import * as tf from '@tensorflow/tfjs';
import { FactorizedError, InvalidArgumentError, ShapeMismatchError } from '@factorized/core';

// Model surgery through the model's config: a copy of model.getConfig() with some layer entries
// replaced is deserialized the way tf.loadLayersModel deserializes a saved topology, and the
// weights are copied in afterwards. The config records the whole topology (shared layers, nested
// models, branches, multiple inputs and outputs, call arguments) in the format TensorFlow.js
// maintains for saving and loading, so the rebuilt graph is the one a save and load would give.

/** A layer of a model, with its path among nested models. */
export interface ModelLayer {
  /**
   * The layer's name, prefixed by the names of the nested models that contain it, joined by
   * '/' ('encoder/dense_1'). Layers of the outer model have their bare name as path.
   */
  path: string;
  layer: tf.layers.Layer;
}

/** A new class, config and weights for one layer of a rebuilt model. */
export interface LayerReplacement {
  /** Registered class name of the new layer, such as 'factorized.FactorizedDense'. */
  className: string;
  /** Constructor arguments of the new layer, in the form its getConfig() returns them. */
  config: tf.serialization.ConfigDict;
  /** Values of the new layer's weights, in the order of its `weights`, each row-major. */
  weights: Float32Array[];
}

const PATH_SEPARATOR = '/';

/** Returns true for a model used as a layer of another model (a Sequential or functional model). */
export function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/**
 * Lists every layer of `model` that is not itself a model, depth first in the order of
 * `model.layers`, with its path. A nested model used twice is listed once.
 */
export function listLayers(model: tf.LayersModel): ModelLayer[] {
  const found: ModelLayer[] = [];
  const visit = (container: tf.LayersModel, prefix: string): void => {
    for (const layer of container.layers) {
      const path = joinPath(prefix, layer.name);
      if (isNestedModel(layer)) {
        visit(layer, path);
      } else {
        found.push({ path, layer });
      }
    }
  };
  visit(model, '');
  return found;
}

/** Lists the paths of the nested models of `model`, depth first. */
export function listNestedModels(model: tf.LayersModel): string[] {
  const found: string[] = [];
  const visit = (container: tf.LayersModel, prefix: string): void => {
    for (const layer of container.layers) {
      if (isNestedModel(layer)) {
        const path = joinPath(prefix, layer.name);
        found.push(path);
        visit(layer, path);
      }
    }
  };
  visit(model, '');
  return found;
}

/**
 * Builds a new model with the topology of `model`. The layer at each path of `replacements`
 * becomes the given class with the given config and weights. Every other layer is a new
 * instance of its own class, built from its config, with a copy of its weights.
 * Layer names and the connections between layers are those of `model`, and `model` is left
 * unchanged.
 *
 * Weights are created as zeros and then overwritten, as tf.loadLayersModel does, so no
 * initializer runs, except in models nested inside a functional model, whose layers tfjs 4.22
 * builds before the flag that skips initializers reaches them. Copied weights share their
 * buffers with `model` until either model writes them (tfjs variables are reference counted),
 * so the copy costs no memory at first. A constraint of a copied layer applies when its weights
 * are written, as it does when a saved model is loaded.
 *
 * Every layer class must be registered with tf.serialization, as for tf.loadLayersModel;
 * otherwise this throws FactorizedError with tfjs' message. Throws ShapeMismatchError when a
 * replacement's weights do not fit the new layer.
 */
export function rebuildModel(
  model: tf.LayersModel,
  replacements: ReadonlyMap<string, LayerReplacement>,
): tf.LayersModel {
  const config = JSON.parse(JSON.stringify(model.getConfig())) as tf.serialization.ConfigDict;
  const unused = new Set(replacements.keys());
  replaceEntries(config, model, '', replacements, unused);
  if (unused.size > 0) {
    throw new InvalidArgumentError('replacements', [...unused], 'paths of layers of the model');
  }

  const rebuilt = deserializeModel(model.getClassName(), config);
  try {
    copyWeights(model, rebuilt, '', replacements);
  } catch (error) {
    rebuilt.dispose();
    throw error;
  }
  return rebuilt;
}

function joinPath(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}${PATH_SEPARATOR}${name}`;
}

/** Replaces, in the config of `container`, the entries of the layers whose path is in `replacements`. */
function replaceEntries(
  containerConfig: tf.serialization.ConfigDict,
  container: tf.LayersModel,
  prefix: string,
  replacements: ReadonlyMap<string, LayerReplacement>,
  unused: Set<string>,
): void {
  const entries = containerConfig.layers as tf.serialization.ConfigDict[];
  for (const entry of entries) {
    const entryConfig = entry.config as tf.serialization.ConfigDict;
    // Functional models name each entry; Sequential models keep the name in the layer config only.
    const name = (entry.name ?? entryConfig.name) as string;
    const layer = container.getLayer(name);
    const path = joinPath(prefix, name);

    if (isNestedModel(layer)) {
      replaceEntries(entryConfig, layer, path, replacements, unused);
      continue;
    }
    const replacement = replacements.get(path);
    if (replacement !== undefined) {
      entry.className = replacement.className;
      entry.config = JSON.parse(JSON.stringify(replacement.config)) as tf.serialization.ConfigDict;
      unused.delete(path);
    }
  }
}

/** Deserializes a model config as tf.loadLayersModel does, with initializers skipped. */
function deserializeModel(className: string, config: tf.serialization.ConfigDict): tf.LayersModel {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[className] as
    | [tf.serialization.SerializableConstructor<tf.serialization.Serializable>, FromConfig]
    | undefined;
  if (registered === undefined) {
    throw new FactorizedError(
      `Failed to rebuild the model: its class "${className}" is not registered with tf.serialization.`,
    );
  }

  const [cls, fromConfig] = registered;
  try {
    // NOTE: the fourth argument, fastWeightInit, creates weights as zeros instead of running
    // initializers, which tf.loadLayersModel also does when weights follow.
    return fromConfig(cls, config, {}, true) as tf.LayersModel;
  } catch (error) {
    throw new FactorizedError(
      'Failed to rebuild the model from its config, the step tf.loadLayersModel also takes, so every ' +
        'layer class must be registered with tf.serialization.registerClass and accept its own ' +
        `getConfig() as constructor arguments: ${(error as Error).message}`,
    );
  }
}

type FromConfig = (
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  config: tf.serialization.ConfigDict,
  customObjects: tf.serialization.ConfigDict,
  fastWeightInit: boolean,
) => tf.serialization.Serializable;

/** Copies every weight of `source` into `target`, or the replacement's values where one is given. */
function copyWeights(
  source: tf.LayersModel,
  target: tf.LayersModel,
  prefix: string,
  replacements: ReadonlyMap<string, LayerReplacement>,
): void {
  for (const targetLayer of target.layers) {
    const path = joinPath(prefix, targetLayer.name);
    const sourceLayer = source.getLayer(targetLayer.name);

    if (isNestedModel(targetLayer)) {
      copyWeights(sourceLayer as tf.LayersModel, targetLayer, path, replacements);
      continue;
    }
    const replacement = replacements.get(path);
    if (replacement === undefined) {
      targetLayer.setWeights(sourceLayer.getWeights());
    } else {
      setWeightValues(targetLayer, path, replacement.weights);
    }
  }
}

function setWeightValues(layer: tf.layers.Layer, path: string, values: readonly Float32Array[]): void {
  const weights = layer.weights;
  if (weights.length !== values.length) {
    throw new ShapeMismatchError(
      `Layer ${path} has ${weights.length} weights, but its replacement gives ${values.length} values.`,
    );
  }

  const shapes = weights.map((weight) => weight.shape as number[]);
  weights.forEach((weight, index) => {
    const size = shapes[index].reduce((product, length) => product * length, 1);
    if (values[index].length !== size) {
      throw new ShapeMismatchError(
        `Weight ${weight.originalName} of layer ${path} has shape [${weight.shape.join(', ')}] ` +
          `(${size} values), but its replacement gives ${values[index].length} values.`,
      );
    }
  });

  const tensors = shapes.map((shape, index) => tf.tensor(values[index], shape, 'float32'));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
