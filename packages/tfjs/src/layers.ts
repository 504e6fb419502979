import type { FactorizedConv2DArgs } from './factorized-conv2d.js';
import { FactorizedConv2D } from './factorized-conv2d.js';
import type { FactorizedDenseArgs } from './factorized-dense.js';
import { FactorizedDense } from './factorized-dense.js';

/** Creates a FactorizedDense layer, the factorized counterpart of tf.layers.dense. */
export function factorizedDense(args: FactorizedDenseArgs): FactorizedDense {
  return new FactorizedDense(args);
}

/** Creates a FactorizedConv2D layer, the factorized counterpart of tf.layers.conv2d. */
export function factorizedConv2d(args: FactorizedConv2DArgs): FactorizedConv2D {
  return new FactorizedConv2D(args);
}

/** The layer factories, grouped as tf.layers groups its own: `layers.factorizedDense({...})`. */
export const layers = { factorizedDense, factorizedConv2d } as const;
