import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@factorized/core';

// TensorFlow.js resolves identifiers such as 'zeros', 'l1l2' or 'relu' with helpers that its
// public API does not export. The functions below do the same through the public
// tf.serialization registry, so the layers accept every identifier that tf.layers.dense accepts.

/** A TensorFlow.js initializer object, such as tf.initializers.zeros() returns. */
export type TfjsInitializer = ReturnType<typeof tf.initializers.ones>;

/** A TensorFlow.js regularizer object, such as tf.regularizers.l2() returns. */
export type TfjsRegularizer = ReturnType<typeof tf.regularizers.l1l2>;

/** A TensorFlow.js constraint object, such as tf.constraints.maxNorm() returns. */
export type TfjsConstraint = ReturnType<typeof tf.constraints.nonNeg>;

/** A TensorFlow.js activation function object, the type of tf.layers.activation's `activation` field. */
export type TfjsActivation = ReturnType<typeof tf.layers.activation>['activation'];

/** A serialized TensorFlow.js object: its registered class name and its config. */
export interface SerializedObject {
  className: string;
  config: tf.serialization.ConfigDict;
}

/** The identifiers that tf.layers accepts for an initializer. */
export type InitializerIdentifier = string | SerializedObject | TfjsInitializer;

/** The identifiers that tf.layers accepts for a regularizer. */
export type RegularizerIdentifier = string | SerializedObject | TfjsRegularizer;

/** The identifiers that tf.layers accepts for a constraint. */
export type ConstraintIdentifier = string | SerializedObject | TfjsConstraint;

/** The identifiers that tf.layers accepts for an activation. */
export type ActivationIdentifier = string | SerializedObject | TfjsActivation;

type ObjectKind = 'initializer' | 'regularizer' | 'constraint' | 'activation';

// The short names that TensorFlow.js maps to registered class names, as in tfjs-layers 4.22.
const INITIALIZER_CLASS_NAMES: Record<string, string> = {
  constant: 'Constant',
  glorotNormal: 'GlorotNormal',
  glorotUniform: 'GlorotUniform',
  heNormal: 'HeNormal',
  heUniform: 'HeUniform',
  identity: 'Identity',
  leCunNormal: 'LeCunNormal',
  leCunUniform: 'LeCunUniform',
  ones: 'Ones',
  orthogonal: 'Orthogonal',
  randomNormal: 'RandomNormal',
  randomUniform: 'RandomUniform',
  truncatedNormal: 'TruncatedNormal',
  varianceScaling: 'VarianceScaling',
  zeros: 'Zeros',
};
const REGULARIZER_CLASS_NAMES: Record<string, string> = { l1l2: 'L1L2' };
const CONSTRAINT_CLASS_NAMES: Record<string, string> = {
  maxNorm: 'MaxNorm',
  minMaxNorm: 'MinMaxNorm',
  nonNeg: 'NonNeg',
  unitNorm: 'UnitNorm',
};
const CLASS_NAMES: Record<ObjectKind, Record<string, string>> = {
  initializer: INITIALIZER_CLASS_NAMES,
  regularizer: REGULARIZER_CLASS_NAMES,
  constraint: CONSTRAINT_CLASS_NAMES,
  activation: {},
};

const EXAMPLES: Record<ObjectKind, string> = {
  initializer: `one of ${Object.keys(INITIALIZER_CLASS_NAMES)
    .map((name) => `'${name}'`)
    .join(', ')}`,
  regularizer: "'l1l2' or a registered regularizer class name",
  constraint: `one of ${Object.keys(CONSTRAINT_CLASS_NAMES)
    .map((name) => `'${name}'`)
    .join(', ')}`,
  activation: "an activation name such as 'linear', 'relu', 'sigmoid', 'tanh', 'softmax' or 'elu'",
};

// The abstract base class of each kind, read from an instance because tfjs does not export
// the classes themselves. Computed on first use so importing this module does no work.
let baseClasses: Record<ObjectKind, abstract new (...args: never[]) => unknown> | undefined;

function baseClassOf(kind: ObjectKind): abstract new (...args: never[]) => unknown {
  baseClasses ??= {
    initializer: parentClassOf(tf.initializers.zeros()),
    regularizer: parentClassOf(tf.regularizers.l1l2()),
    constraint: parentClassOf(tf.constraints.nonNeg()),
    activation: parentClassOf(tf.layers.activation({ activation: 'linear' }).activation),
  };
  return baseClasses[kind];
}

function parentClassOf(instance: object): abstract new (...args: never[]) => unknown {
  return Object.getPrototypeOf((instance as { constructor: unknown }).constructor) as abstract new (
    ...args: never[]
  ) => unknown;
}

function resolveObject<T>(kind: ObjectKind, option: string, value: unknown): T {
  const base = baseClassOf(kind);
  if (value instanceof base) {
    return value as T;
  }

  let serialized: SerializedObject;
  if (typeof value === 'string') {
    serialized = { className: CLASS_NAMES[kind][value] ?? value, config: {} };
  } else if (isSerializedObject(value)) {
    serialized = value;
  } else {
    throw new InvalidArgumentError(
      option,
      value,
      `a tfjs ${kind}: ${EXAMPLES[kind]}, a ${kind} object, or {className, config}`,
    );
  }

  const entry = tf.serialization.SerializationMap.getMap().classNameMap[serialized.className] as
    | [tf.serialization.SerializableConstructor<tf.serialization.Serializable>, FromConfig]
    | undefined;
  if (entry === undefined) {
    throw new InvalidArgumentError(
      option,
      value,
      `a tfjs ${kind}: ${EXAMPLES[kind]}, a ${kind} object, or {className, config}`,
    );
  }

  const [cls, fromConfig] = entry;
  const instance = fromConfig(cls, { ...serialized.config });
  if (!(instance instanceof base)) {
    throw new InvalidArgumentError(option, value, `a tfjs ${kind}, but "${serialized.className}" is not one`);
  }
  return instance as T;
}

type FromConfig = (
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  config: tf.serialization.ConfigDict,
) => tf.serialization.Serializable;

function isSerializedObject(value: unknown): value is SerializedObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { className?: unknown }).className === 'string' &&
    typeof (value as { config?: unknown }).config === 'object' &&
    (value as { config?: unknown }).config !== null
  );
}

/**
 * Resolves an initializer identifier as tf.layers does: a short name ('zeros',
 * 'glorotNormal', ...), a registered class name, {className, config}, or an initializer
 * object. Throws InvalidArgumentError naming `option` for anything else.
 */
export function resolveTfjsInitializer(option: string, value: unknown): TfjsInitializer {
  return resolveObject<TfjsInitializer>('initializer', option, value);
}

/** Resolves a regularizer identifier as tf.layers does; undefined and null give null. */
export function resolveTfjsRegularizer(option: string, value: unknown): TfjsRegularizer | null {
  return value === undefined || value === null ? null : resolveObject<TfjsRegularizer>('regularizer', option, value);
}

/** Resolves a constraint identifier as tf.layers does; undefined and null give null. */
export function resolveTfjsConstraint(option: string, value: unknown): TfjsConstraint | null {
  return value === undefined || value === null ? null : resolveObject<TfjsConstraint>('constraint', option, value);
}

/** Resolves an activation identifier as tf.layers does; undefined and null give 'linear'. */
export function resolveTfjsActivation(option: string, value: unknown): TfjsActivation {
  return resolveObject<TfjsActivation>('activation', option, value ?? 'linear');
}

/** Serializes an initializer, regularizer or constraint as tf.layers' getConfig does; null stays null. */
export function serializeTfjsObject(
  value: TfjsInitializer | TfjsRegularizer | TfjsConstraint | null,
): SerializedObject | null {
  return value === null ? null : { className: value.getClassName(), config: value.getConfig() };
}
