import * as tf from '@tensorflow/tfjs';
import { FactorizedError } from '@factorized/core';

/**
 * Marks a class as registered by this package. `Symbol.for` returns the same symbol in every
 * copy of the package, so the ESM and CommonJS builds loaded side by side recognize each
 * other's classes.
 */
const REGISTERED_BY_FACTORIZED = Symbol.for('@factorized/tfjs.registeredClass');

/** A class that tf.serialization.registerClass accepts. */
type SerializableClass = tf.serialization.SerializableConstructor<tf.serialization.Serializable> & {
  className: string;
};

/**
 * Registers `cls` with tf.serialization under its static `className`, so tf.loadLayersModel
 * can rebuild layers of that class.
 *
 * TensorFlow.js silently replaces a class registered under a taken name, which would make
 * saved models load as the wrong layer. This function therefore throws FactorizedError when a
 * class that this package did not register is already registered under the name. Registering a class of
 * this package twice, as happens when both builds of the package are loaded, keeps the first
 * registration and does nothing else.
 */
export function registerLayerClass(cls: SerializableClass): void {
  const classNameMap = tf.serialization.SerializationMap.getMap().classNameMap;
  const existing = classNameMap[cls.className] as [unknown, unknown] | undefined;

  if (existing !== undefined) {
    const registered = existing[0] as Partial<Record<typeof REGISTERED_BY_FACTORIZED, string>> & { name?: string };
    if (registered[REGISTERED_BY_FACTORIZED] === cls.className) {
      return;
    }
    throw new FactorizedError(
      `Failed to register ${cls.name} as "${cls.className}": another class ` +
        `(${registered.name ?? 'anonymous'}) is registered with tf.serialization under that name, and ` +
        'registering would silently replace it. ' +
        'Give the other class a different static className.',
    );
  }

  Object.defineProperty(cls, REGISTERED_BY_FACTORIZED, { value: cls.className });
  tf.serialization.registerClass(cls);
}
