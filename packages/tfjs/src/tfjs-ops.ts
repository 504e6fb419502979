import * as tf from '@tensorflow/tfjs';
import type { TensorOps } from '@factorized/core';

/**
 * Multiplies op(a)·op(b), where op transposes its argument when the matching flag is set.
 *
 * On the wasm backend the transposes run as separate ops, because tfjs 4.22's wasm matMul with
 * a transpose flag is about ten times slower than a transpose followed by a plain matMul. The
 * Gram matrix UᵀU of a 784×64 U took 5.4 ms with the flag and 0.4 ms without (Node 20, one
 * thread). Other backends get the flags: on cpu both forms took the same time, and webgl was
 * not measured.
 */
export function matMulTransposed(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (tf.getBackend() === 'wasm') {
    return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
  }
  return tf.matMul(a, b, transposeA, transposeB);
}

/**
 * Core's TensorOps implemented with tfjs ops, so core's regularizer formulas run on any tfjs
 * backend and tfjs autodiff can differentiate them. Scalars are rank-0 tensors.
 */
export const tfjsOps: TensorOps<tf.Tensor> = {
  matMul: matMulTransposed,
  add: (a, b) => tf.add(a, b),
  mul: (a, b) => tf.mul(a, b),
  sum: (a) => tf.sum(a),
  scale: (a, factor) => tf.mul(a, tf.scalar(factor)),
};
