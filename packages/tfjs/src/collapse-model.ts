import * as tf from '@tensorflow/tfjs';
import type { Factors, InitializerConfig } from '@factorized/core';
import {
  collapse,
  collapseConv,
  FactorizedError,
  InvalidArgumentError,
  Matrix,
  NonFiniteValueError,
  UnsupportedError,
} from '@factorized/core';
import { FactorizedConv2D } from './factorized-conv2d.js';
import { sharedLayerOptions } from './factorized-config.js';
import { FactorizedDense } from './factorized-dense.js';
import { FactorizedLayer } from './factorized-layer.js';
import type { LayerReplacement } from './model-graph.js';
import { listLayers, rebuildModel } from './model-graph.js';

/**
 * Returns a new model in which every FactorizedDense and FactorizedConv2D layer is a plain
 * tf.layers.dense or tf.layers.conv2d layer with the same name. Its kernel is the product of
 * the factors, U·V or U·M·V (core's collapse and collapseConv), computed in float64 and stored
 * as float32. Bias, activation, strides, padding, dilation and data format carry over, so the
 * new model computes the same function up to float32 rounding. The topology and every other
 * layer stay as they are, and `model` is left unchanged. Nested models are collapsed too. The
 * new model is not compiled.
 *
 * The result contains no class of this package, so it saves and loads with @tensorflow/tfjs
 * alone. Its conv layers take the layer's full strides, padding and dilation, which the
 * 'paper' scheme splits by axis between its two convolutions.
 *
 * Regularization: frobeniusDecay λ becomes the equivalent L2 kernel regularizer (l2 = λ/2, the
 * same penalty (λ/2)·‖W‖²_F on the product). weightDecay, factorRegularizer and factorConstraint
 * act on the factors, which the collapsed layer does not have, so they are dropped. The kernel
 * initializer is recorded as the tfjs initializer of the same name where tfjs has one (only a
 * fresh initialization would use it), else as tfjs' default.
 *
 * Throws InvalidArgumentError when `model` is not a tf.LayersModel, UnsupportedError for a
 * factorized layer of another class, FactorizedError for an unbuilt factorized layer, and
 * NonFiniteValueError for factors with NaN or ±Infinity, naming the layer and weight.
 */
export function collapseModel(model: tf.LayersModel): tf.LayersModel {
  if (!(model instanceof tf.LayersModel)) {
    throw new InvalidArgumentError('model', model, 'a tf.LayersModel, such as tf.sequential() or tf.model() returns');
  }

  const replacements = new Map<string, LayerReplacement>();
  for (const { path, layer } of listLayers(model)) {
    const className = layer.getClassName();
    if (className === FactorizedDense.className) {
      replacements.set(path, collapsedDense(path, layer as FactorizedDense));
    } else if (className === FactorizedConv2D.className) {
      replacements.set(path, collapsedConv(path, layer as FactorizedConv2D));
    } else if (layer instanceof FactorizedLayer) {
      throw new UnsupportedError(
        `Layer ${path} of class ${className} cannot be collapsed: only FactorizedDense and FactorizedConv2D can.`,
      );
    }
  }
  return rebuildModel(model, replacements);
}

function collapsedDense(path: string, layer: FactorizedDense): LayerReplacement {
  const factors = readFactors(path, layer);
  const kernel = collapse(factors).toFloat32Array();
  return {
    className: 'Dense',
    config: plainConfig('Dense', layer),
    weights: withBias(path, layer, kernel),
  };
}

function collapsedConv(path: string, layer: FactorizedConv2D): LayerReplacement {
  const factors = readFactors(path, layer);
  const kernelShape = layer.kernelShape as [number, number, number, number];
  const kernel = Float32Array.from(collapseConv(factors, kernelShape, layer.scheme));
  return {
    className: 'Conv2D',
    config: plainConfig('Conv2D', layer),
    weights: withBias(path, layer, kernel),
  };
}

/** Builds the config of the plain layer: the factorized layer's shared options plus the kernel's. */
function plainConfig(className: 'Dense' | 'Conv2D', layer: FactorizedLayer): tf.serialization.ConfigDict {
  const source = JSON.parse(JSON.stringify(layer.getConfig())) as tf.serialization.ConfigDict;
  const config = sharedLayerOptions(className, source);
  if (className === 'Conv2D') {
    // The layer's own fields hold the full settings; the 'paper' scheme splits them only in call().
    const conv = layer as FactorizedConv2D;
    Object.assign(config, {
      kernelSize: [...conv.kernelSize],
      strides: [...conv.strides],
      padding: conv.padding,
      dataFormat: conv.dataFormat,
      dilationRate: [...conv.dilationRate],
    });
  }

  const frobeniusDecay = layer.factorization?.frobeniusDecay ?? 0;
  const initializer = tfjsInitializer(layer.kernelInitializer);
  if (initializer !== null) {
    config.kernelInitializer = initializer;
  }
  config.kernelRegularizer = frobeniusDecay > 0 ? { className: 'L1L2', config: { l1: 0, l2: frobeniusDecay / 2 } } : null;
  config.kernelConstraint = null;
  return config;
}

/** Reads the factors of a built layer into float64 matrices, rejecting NaN and ±Infinity. */
function readFactors(path: string, layer: FactorizedLayer): Factors {
  const weights = layer.factorWeights;
  if (weights === null) {
    throw new FactorizedError(`Layer ${path} is not built, so it has no factors to collapse.`);
  }

  const read = (weight: tf.LayerVariable): Matrix => {
    const [rows, columns] = weight.shape as [number, number];
    return Matrix.from(rows, columns, readFinite(path, weight));
  };
  const left = read(weights.left);
  const right = read(weights.right);
  return weights.middle === null ? { left, right } : { left, middle: read(weights.middle), right };
}

function withBias(path: string, layer: FactorizedLayer, kernel: Float32Array): Float32Array[] {
  const bias = layer.factorWeights?.bias ?? null;
  return bias === null ? [kernel] : [kernel, readFinite(path, bias)];
}

function readFinite(path: string, weight: tf.LayerVariable): Float32Array {
  const values = weight.read().dataSync() as Float32Array;
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new NonFiniteValueError(
      `Weight ${weight.originalName} of layer ${path} contains ${values[bad]} at flat index ${bad}, ` +
        'but collapsing needs finite factors.',
    );
  }
  return values;
}

const TFJS_INITIALIZER_CLASSES: Partial<Record<InitializerConfig['name'], string>> = {
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heUniform: 'HeUniform',
  heNormal: 'HeNormal',
  lecunUniform: 'LeCunUniform',
  lecunNormal: 'LeCunNormal',
  truncatedNormal: 'TruncatedNormal',
  randomNormal: 'RandomNormal',
  randomUniform: 'RandomUniform',
  orthogonal: 'Orthogonal',
  varianceScaling: 'VarianceScaling',
  zeros: 'Zeros',
  ones: 'Ones',
};

/**
 * Returns the serialized tfjs initializer with the name and parameters of a core initializer
 * config, or null when tfjs has none: a variance-scaling initializer with an untruncated
 * normal distribution. tfjs' 'normal' variance scaling is core's 'truncatedNormal' (tfjs 4.22
 * draws it without core's stddev correction for the cut, so fresh draws differ in scale).
 */
function tfjsInitializer(initializer: InitializerConfig): { className: string; config: tf.serialization.ConfigDict } | null {
  const { name, seed, ...parameters } = initializer;
  const className = TFJS_INITIALIZER_CLASSES[name];
  if (className === undefined) {
    return null;
  }

  const config: tf.serialization.ConfigDict = { ...parameters };
  if (name === 'varianceScaling') {
    if (parameters.distribution === 'untruncatedNormal') {
      return null;
    }
    config.distribution = parameters.distribution === 'uniform' ? 'uniform' : 'normal';
  }
  if (name !== 'zeros' && name !== 'ones') {
    config.seed = seed ?? null;
  }
  return { className, config };
}
