import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@factorized/core';
import { layers as factorizedLayers } from '@factorized/tfjs';
import type { Architecture, WeightLayer } from './architecture.js';
import { CONV_SCHEME } from './architecture.js';
import { IMAGE_SIDE, IMAGE_SIZE } from './mnist.js';
import type { ModelVariant } from './runs.js';

/** Seed and regularization strength of a model. */
export interface ModelOptions {
  /** Seed of every initializer in the model; each layer draws its own seed from it. */
  seed: number;
  /** λ of weight decay and Frobenius decay, PyTorch convention: penalty (λ/2)‖·‖²_F. */
  weightDecay: number;
}

/**
 * Momentum of the batch-normalization moving statistics, 0.9 in Keras' convention: the
 * PyTorch default (0.1) the paper's reference code (microsoft/fnl_paper) trains with.
 */
const BATCH_NORM_MOMENTUM = 0.9;

/** The kernel initializer of tf.layers.dense and tf.layers.conv2d in tfjs 4.22, for plain and factorized layers alike. */
const KERNEL_INITIALIZER = 'glorotNormal';

/**
 * Builds the model of an architecture with a variant's ranks, initialization and
 * regularization, from scratch. Layers with rank null are tf.layers.dense / conv2d with an L2
 * kernel regularizer of c = λ/2 (so its gradient is λW, PyTorch's coupled weight decay);
 * the others are @factorized/tfjs factorized layers with `weightDecay: λ` or
 * `frobeniusDecay: λ`. Biases and batch-normalization parameters are not decayed.
 *
 * Input: [batch, 784] pixels for the MLP, [batch, 28, 28, 1] for the CNN. Output: logits
 * [batch, 10]. Layer names are the architecture's (`hidden1`, …), with `_bn`, `_relu` and
 * `_pool` suffixes for what follows a weight layer, so a collapsed model matches the dense one
 * name by name.
 */
export function buildModel(architecture: Architecture, variant: ModelVariant, options: ModelOptions): tf.LayersModel {
  const random = new SeededRandom(options.seed);
  const inputShape = architecture.model === 'mlp' ? [IMAGE_SIZE] : [IMAGE_SIDE, IMAGE_SIDE, 1];
  const input = tf.input({ shape: inputShape, name: 'pixels' });
  let output: tf.SymbolicTensor = input;

  for (const layer of architecture.layers) {
    if (layer.kind === 'dense' && output.shape.length > 2) {
      output = tf.layers.flatten({ name: `${layer.name}_flatten` }).apply(output) as tf.SymbolicTensor;
    }

    const layerSeed = Math.floor(random.nextUniform() * 2 ** 31);
    const rank = variant.ranks[layer.name] ?? null;
    const weightLayer = rank === null ? plainLayer(layer, layerSeed, options.weightDecay) : factorizedLayer(layer, rank, variant, layerSeed, options.weightDecay);
    output = weightLayer.apply(output) as tf.SymbolicTensor;

    if (layer.batchNorm) {
      output = tf.layers.batchNormalization({ name: `${layer.name}_bn`, momentum: BATCH_NORM_MOMENTUM }).apply(output) as tf.SymbolicTensor;
    }
    if (layer.hidden) {
      output = tf.layers.reLU({ name: `${layer.name}_relu` }).apply(output) as tf.SymbolicTensor;
      if (layer.kind === 'conv2d') {
        output = tf.layers.maxPooling2d({ name: `${layer.name}_pool`, poolSize: 2 }).apply(output) as tf.SymbolicTensor;
      }
    }
  }

  return tf.model({ inputs: input, outputs: output, name: `${architecture.model}` });
}

function plainLayer(layer: WeightLayer, seed: number, weightDecay: number): tf.layers.Layer {
  const common = {
    name: layer.name,
    useBias: layer.useBias,
    kernelInitializer: tf.initializers.glorotNormal({ seed }),
    kernelRegularizer: weightDecay > 0 ? tf.regularizers.l2({ l2: weightDecay / 2 }) : undefined,
  };
  if (layer.kind === 'dense') {
    return tf.layers.dense({ ...common, units: layer.outputSize });
  }
  return tf.layers.conv2d({ ...common, filters: layer.outputSize, kernelSize: layer.kernelSize ?? [3, 3], padding: 'same' });
}

function factorizedLayer(layer: WeightLayer, rank: number, variant: ModelVariant, seed: number, weightDecay: number): tf.layers.Layer {
  const decay =
    variant.regularization === 'frobenius-decay' ? { frobeniusDecay: weightDecay } : { weightDecay };
  const common = {
    name: layer.name,
    useBias: layer.useBias,
    rank,
    overcomplete: variant.overcomplete,
    initialization: variant.initialization,
    kernelInitializer: KERNEL_INITIALIZER,
    seed,
    ...decay,
  };
  if (layer.kind === 'dense') {
    return factorizedLayers.factorizedDense({ ...common, units: layer.outputSize });
  }
  return factorizedLayers.factorizedConv2d({
    ...common,
    filters: layer.outputSize,
    kernelSize: layer.kernelSize ?? [3, 3],
    padding: 'same',
    scheme: CONV_SCHEME,
  });
}
