import type * as tf from '@tensorflow/tfjs';
import type { ConvScheme } from '@factorized/core';
import { convMatrixShape, resolveInitializer, UnsupportedError } from '@factorized/core';
import { FactorizedConv2D } from './factorized-conv2d.js';
import { FactorizedDense } from './factorized-dense.js';

// The config of the factorized twin of a tf.layers.dense or tf.layers.conv2d layer, built from
// the plain layer's getConfig(). Everything except the kernel's options carries over unchanged.

/** Class names of the layers factorizeModel replaces. */
export type FactorizableClassName = 'Dense' | 'Conv2D';

/** The kernel of a Dense or Conv2D layer as the matrix that is factorized. */
export interface KernelMatrixShape {
  /** Input side: the kernel's first dimension (Dense) or in·kw ('paper') or kh·kw·in ('pointwise'). */
  rows: number;
  /** Output side: units (Dense) or out·kh ('paper') or out ('pointwise'). */
  columns: number;
}

/** Settings of the new layer that do not come from the plain layer's config. */
export interface TwinSettings {
  rank: number;
  factors: 2 | 3;
  scheme: ConvScheme;
  /** frobeniusDecay of the options; undefined takes it from the layer's L2 kernel regularizer. */
  frobeniusDecay: number | undefined;
  weightDecay: number;
}

/** The config of a factorized twin, and what the conversion changed. */
export interface TwinConfig {
  className: string;
  config: tf.serialization.ConfigDict;
  /** The Frobenius-decay coefficient the twin got. */
  frobeniusDecay: number;
  /** Changes a user should know about, such as a kernel initializer the twin could not keep. */
  warnings: string[];
}

const BASE_KEYS = ['name', 'trainable', 'batchInputShape', 'batchSize', 'dtype', 'inputDType', 'inputShape'];
const SHARED_KEYS = [
  'activation',
  'useBias',
  'biasInitializer',
  'biasRegularizer',
  'biasConstraint',
  'activityRegularizer',
];
const KERNEL_KEYS = ['kernelInitializer', 'kernelRegularizer', 'kernelConstraint'];
const OWN_KEYS: Record<FactorizableClassName, readonly string[]> = {
  Dense: ['units'],
  Conv2D: ['filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate'],
};

/**
 * Copies from a layer config the options that a Dense or Conv2D layer and its factorized twin
 * share: name, shape and dtype options, trainability, activation, bias options, activity
 * regularizer and the layer's own options (units, or filters, kernel size, strides, padding,
 * data format and dilation rate). Keys absent from `config` stay absent.
 */
export function sharedLayerOptions(
  className: FactorizableClassName,
  config: tf.serialization.ConfigDict,
): tf.serialization.ConfigDict {
  const shared: tf.serialization.ConfigDict = {};
  for (const key of [...BASE_KEYS, ...SHARED_KEYS, ...OWN_KEYS[className]]) {
    if (config[key] !== undefined) {
      shared[key] = config[key];
    }
  }
  return shared;
}

/** Returns 'Dense' or 'Conv2D' for exactly those classes (not their subclasses), else null. */
export function factorizableClassOf(layer: tf.layers.Layer): FactorizableClassName | null {
  const className = layer.getClassName();
  return className === 'Dense' || className === 'Conv2D' ? className : null;
}

/** Returns rows × columns of the matrix that a kernel of `kernelShape` is factorized as. */
export function kernelMatrixShape(
  className: FactorizableClassName,
  kernelShape: readonly number[],
  scheme: ConvScheme,
): KernelMatrixShape {
  if (className === 'Dense') {
    return { rows: kernelShape[0], columns: kernelShape[1] };
  }
  const [rows, columns] = convMatrixShape(kernelShape as [number, number, number, number], scheme);
  return { rows, columns };
}

/**
 * Returns why a layer with this config has no factorized twin, or null when it has one. The
 * reasons: a kernel constraint, which cannot act on factors; a kernel regularizer other than
 * L2, whose only equivalent on the product is Frobenius decay; strides together with
 * dilations; or a config key this conversion does not know.
 */
export function unsupportedConfigReason(
  className: FactorizableClassName,
  config: tf.serialization.ConfigDict,
): string | null {
  const known = [...BASE_KEYS, ...SHARED_KEYS, ...KERNEL_KEYS, ...OWN_KEYS[className]];
  for (const [key, value] of Object.entries(config)) {
    if (!known.includes(key) && value !== null && value !== undefined) {
      return `its config has the option ${key}, which the factorized layer does not take`;
    }
  }

  if (config.kernelConstraint !== null && config.kernelConstraint !== undefined) {
    return 'it has a kernel constraint, which has no equivalent on the factors of the kernel';
  }
  const regularizer = l2Coefficient(config.kernelRegularizer);
  if (typeof regularizer === 'string') {
    return regularizer;
  }

  if (className === 'Conv2D') {
    const strides = config.strides as number[];
    const dilations = config.dilationRate as number[];
    if (strides.some((stride) => stride > 1) && dilations.some((dilation) => dilation > 1)) {
      return 'it has strides > 1 together with dilationRate > 1, which tf.conv2d rejects';
    }
  }
  return null;
}

/**
 * Builds the config of the factorized twin of a Dense or Conv2D layer from its getConfig():
 * the same name, activation, bias options, shape options and trainability, with `rank`,
 * `factors`, `scheme`, `frobeniusDecay` and `weightDecay` from `settings`.
 *
 * The kernel initializer carries over when core reads it, so a fresh build initializes like the
 * plain layer. Otherwise the twin keeps its default, and a warning records that. An L2 kernel
 * regularizer with coefficient c becomes frobeniusDecay 2c, the same penalty (λ/2)·‖U·V‖²_F on
 * the product, unless `settings.frobeniusDecay` is given, which wins with a warning when it
 * differs. Throws UnsupportedError for configs that unsupportedConfigReason rejects.
 */
export function twinConfig(
  className: FactorizableClassName,
  config: tf.serialization.ConfigDict,
  settings: TwinSettings,
): TwinConfig {
  const reason = unsupportedConfigReason(className, config);
  if (reason !== null) {
    throw new UnsupportedError(`Layer ${JSON.stringify(config.name)} cannot be factorized: ${reason}.`);
  }

  const twin = sharedLayerOptions(className, config);

  const warnings: string[] = [];
  const initializer = config.kernelInitializer;
  if (initializer !== null && initializer !== undefined) {
    try {
      resolveInitializer(initializer, 'kernelInitializer');
      twin.kernelInitializer = initializer;
    } catch {
      warnings.push(
        `its kernel initializer ${JSON.stringify(initializer)} has no equivalent in @factorized/core, so the ` +
          'factorized layer records the default glorotNormal (used only if the layer is ever initialized afresh)',
      );
    }
  }

  const regularizerDecay = 2 * ((l2Coefficient(config.kernelRegularizer) as number | null) ?? 0);
  const frobeniusDecay = settings.frobeniusDecay ?? regularizerDecay;
  if (settings.frobeniusDecay !== undefined && regularizerDecay > 0 && regularizerDecay !== frobeniusDecay) {
    warnings.push(
      `its L2 kernel regularizer (frobeniusDecay ${regularizerDecay} would be the same penalty) is replaced ` +
        `by the frobeniusDecay option, ${frobeniusDecay}`,
    );
  }

  twin.rank = settings.rank;
  twin.factors = settings.factors;
  twin.initialization = 'spectral';
  twin.frobeniusDecay = frobeniusDecay;
  twin.weightDecay = settings.weightDecay;
  if (className === 'Conv2D') {
    twin.scheme = settings.scheme;
  }

  return {
    className: className === 'Dense' ? FactorizedDense.className : FactorizedConv2D.className,
    config: twin,
    frobeniusDecay,
    warnings,
  };
}

/**
 * Reads a serialized kernel regularizer: null when there is none, its l2 coefficient when it
 * is a pure L2 (tf.regularizers.l2 or l1l2 with l1 = 0), else a string saying why it has no
 * factorized equivalent.
 */
function l2Coefficient(regularizer: unknown): number | string | null {
  if (regularizer === null || regularizer === undefined) {
    return null;
  }
  const { className, config } = regularizer as { className?: unknown; config?: { l1?: unknown; l2?: unknown } };
  if (className !== 'L1L2' || config === undefined) {
    return `its kernel regularizer ${JSON.stringify(regularizer)} has no equivalent on the factors (only L2 has: Frobenius decay)`;
  }
  const l1 = typeof config.l1 === 'number' ? config.l1 : 0;
  const l2 = typeof config.l2 === 'number' ? config.l2 : 0;
  if (l1 !== 0) {
    return `its kernel regularizer has an L1 term (l1 = ${l1}), which has no equivalent on the factors`;
  }
  return l2;
}
