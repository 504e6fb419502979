import type * as tf from '@tensorflow/tfjs';
import { collapseModel } from '@factorized/tfjs';

/**
 * Returns a model of plain layers that computes what `model` computes: every factorized layer
 * becomes a tf.layers.dense or conv2d whose kernel is the product of its factors, and every
 * other layer is kept. The result has the dense architecture, so its parameter count is the
 * dense model's, and it loads with @tensorflow/tfjs alone. `model` is left unchanged.
 */
export function collapseFactorizedModel(model: tf.LayersModel): tf.LayersModel {
  return collapseModel(model);
}
