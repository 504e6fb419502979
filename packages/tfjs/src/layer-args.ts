import type * as tf from '@tensorflow/tfjs';
import type { InitializationScheme, InitializerConfig } from '@factorized/core';
import { FACTORIZATION_OPTION_KEYS, InvalidArgumentError } from '@factorized/core';
import type {
  ActivationIdentifier,
  ConstraintIdentifier,
  InitializerIdentifier,
  RegularizerIdentifier,
} from './tfjs-identifiers.js';

/** The arguments of tf.layers.Layer: name, inputShape, batchInputShape, trainable, dtype, weights, ... */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/**
 * The factorization options of the tfjs layers: core's FactorizationOptions, with the kernel
 * initializer also given as a tfjs identifier, plus tfjs regularizers and constraints for
 * each factor.
 */
export interface FactorizationArgs {
  /** Inner dimension r of the factors, a positive integer. Set this or `rankScale`, not both. */
  rank?: number;
  /** Rank as a fraction of min(rows, columns) of the factorized weight, rounded, at least 1. */
  rankScale?: number;
  /** 2 for U·V, 3 for U·M·V with an r × r middle factor. Default 2. */
  factors?: 2 | 3;
  /** Allows a rank above min(rows, columns) or a rank scale above 1. Default false. */
  overcomplete?: boolean;
  /** 'spectral' (default): SVD of the weight the plain layer would get. 'standard': each factor drawn on its own. */
  initialization?: InitializationScheme;
  /**
   * Initializer of the unfactorized weight (spectral) or of each factor (standard): a tfjs
   * name or initializer object, or a core initializer config. Default 'glorotNormal', the
   * default of tf.layers.dense and tf.layers.conv2d.
   */
  kernelInitializer?: InitializerIdentifier | InitializerConfig;
  /** Seed of the initialization; the same seed gives the same factors. Default: a fresh random seed. */
  seed?: number;
  /** Frobenius-decay coefficient λ: adds (λ/2)·‖U·V‖²_F to the training loss. Default 0. */
  frobeniusDecay?: number;
  /** Weight-decay coefficient λ on each factor: adds (λ/2)·(‖U‖²_F + ‖V‖²_F), the baseline. Default 0. */
  weightDecay?: number;
  /** A tfjs regularizer applied to each factor on its own. */
  factorRegularizer?: RegularizerIdentifier;
  /**
   * A tfjs constraint attached to each factor, as tf.layers.dense attaches kernelConstraint.
   * NOTE: tfjs 4.22 applies it when a weight is written with LayerVariable.write(), not after
   * the optimizer steps of model.fit, and the same holds for the built-in layers.
   */
  factorConstraint?: ConstraintIdentifier;
}

/** The options that factorized layers share with tf.layers.dense and tf.layers.conv2d, besides LayerArgs. */
export interface FactorizedLayerArgs extends LayerArgs, FactorizationArgs {
  /** Activation applied to the output. Default: none ('linear'). */
  activation?: ActivationIdentifier;
  /** Whether to add a bias vector. Default true. */
  useBias?: boolean;
  /** Initializer of the bias. Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  /** Regularizer of the bias. */
  biasRegularizer?: RegularizerIdentifier;
  /** Constraint of the bias. */
  biasConstraint?: ConstraintIdentifier;
  /** Regularizer of the output. NOTE: tfjs 4.22 throws NotImplementedError when a layer with one is applied. */
  activityRegularizer?: RegularizerIdentifier;
  /** Rejected: a factorized layer has no kernel weight. Use frobeniusDecay, weightDecay or factorRegularizer. */
  kernelRegularizer?: never;
  /** Rejected: a factorized layer has no kernel weight. Use factorConstraint. */
  kernelConstraint?: never;
}

/** The kernel initializer of tf.layers.dense and tf.layers.conv2d in tfjs 4.22. */
export const DEFAULT_KERNEL_INITIALIZER = 'glorotNormal';

const LAYER_ARG_KEYS = [
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'name',
  'trainable',
  'weights',
  'inputDType',
  // tf.serialization adds the custom objects to every config it deserializes.
  'customObjects',
];

const FACTORIZED_LAYER_KEYS = [
  ...FACTORIZATION_OPTION_KEYS,
  'factorRegularizer',
  'factorConstraint',
  'activation',
  'useBias',
  'biasInitializer',
  'biasRegularizer',
  'biasConstraint',
  'activityRegularizer',
  // Rejected with a message of their own below.
  'kernelRegularizer',
  'kernelConstraint',
];

const layerCounts = new Map<string, number>();

/**
 * Returns `args` with a name `${prefix}_${n}` when it has none, n counting from 1 per prefix.
 * tfjs would derive the name from the namespaced class name ('factorized._factorized_dense_1').
 */
export function withDefaultName<T extends LayerArgs>(args: T, prefix: string): T {
  if (typeof args !== 'object' || args === null) {
    throw new InvalidArgumentError('args', args, 'an options object');
  }
  if (args.name !== undefined && args.name !== null && args.name !== '') {
    return args;
  }
  const count = (layerCounts.get(prefix) ?? 0) + 1;
  layerCounts.set(prefix, count);
  return { ...args, name: `${prefix}_${count}` };
}

/**
 * Throws InvalidArgumentError naming the first key of `args` that is neither a LayerArgs key,
 * a shared factorized-layer key nor one of `ownKeys`, so a misspelled option is reported
 * instead of ignored.
 */
export function checkLayerArgKeys(layer: string, args: object, ownKeys: readonly string[]): void {
  const known = [...LAYER_ARG_KEYS, ...FACTORIZED_LAYER_KEYS, ...ownKeys];
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${layer} option`, key, `one of ${known.map((name) => `'${name}'`).join(', ')}`);
    }
  }
}
