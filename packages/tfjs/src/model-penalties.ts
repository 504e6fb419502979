import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@factorized/core';
import { FactorizedLayer } from './factorized-layer.js';

/**
 * Sums the Frobenius-decay penalties (λ/2)·‖U·V‖²_F of every built factorized layer of
 * `model`, nested models included, as a scalar tensor differentiable with respect to the
 * factors. Layers with frobeniusDecay 0 add nothing, and a model without such layers gives 0.
 *
 * model.fit adds these penalties to its loss by itself (they are layer losses), so this
 * function is for custom training loops, for example inside tf.variableGrads.
 */
export function frobeniusDecayLoss(model: tf.LayersModel): tf.Scalar {
  if (!(model instanceof tf.LayersModel)) {
    throw new InvalidArgumentError('model', model, 'a tf.LayersModel (tf.sequential or tf.model)');
  }

  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const layer of factorizedLayersOf(model)) {
      if (layer.factorization !== null && layer.factorization.frobeniusDecay > 0) {
        total = tf.add(total, layer.frobeniusDecayPenalty());
      }
    }
    return total;
  });
}

/** Lists the factorized layers of a model in layer order, descending into nested models. */
export function factorizedLayersOf(model: tf.LayersModel): FactorizedLayer[] {
  const found: FactorizedLayer[] = [];
  for (const layer of model.layers) {
    if (layer instanceof FactorizedLayer) {
      found.push(layer);
    } else if (layer instanceof tf.LayersModel) {
      found.push(...factorizedLayersOf(layer));
    }
  }
  return found;
}
