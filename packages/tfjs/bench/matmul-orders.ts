import * as tf from '@tensorflow/tfjs';
import { matMulTransposed } from '../src/tfjs-ops.js';
import type { TaskTime } from './timing.js';
import { medianTimes } from './timing.js';

/** One way of computing a product of the dense layer's backward pass, and its median time. */
export interface ProductTime {
  product: string;
  form: string;
  time: TaskTime;
}

/**
 * Times the products of a dense layer's training step on the wasm backend in three forms: with
 * matMul's transpose flags (as tfjs's own gradients run them), with explicit transposes, and
 * as `matMulTransposed` orders them. The first row, x·W with a W that stays the same, is the
 * reference rate. The wasm backend then reuses XNNPACK's packing of W, so it is the fastest
 * batch × size × size product that tfjs runs here.
 *
 * The flagged products take up to about a second each, so they run fewer rounds.
 */
export function timeProductForms(batch: number, size: number): ProductTime[] {
  const input = tf.randomNormal<tf.Rank.R2>([batch, size], 0, 1, 'float32', 7);
  const kernel = tf.randomNormal<tf.Rank.R2>([size, size], 0, 1, 'float32', 8);
  const outputGradient = tf.randomNormal<tf.Rank.R2>([batch, size], 0, 1, 'float32', 9);
  const run = (product: () => tf.Tensor) => () => {
    const result = tf.tidy(product);
    result.dataSync();
    result.dispose();
  };

  const fast = medianTimes(
    {
      reference: run(() => tf.matMul(input, kernel)),
      weightExplicit: run(() => tf.matMul(tf.transpose(input), outputGradient)),
      weightOrdered: run(() => matMulTransposed(input, outputGradient, true, false)),
      inputExplicit: run(() => tf.matMul(outputGradient, tf.transpose(kernel))),
      inputOrdered: run(() => matMulTransposed(outputGradient, kernel, false, true)),
    },
    { warmups: 2, rounds: 9 },
  );
  const flagged = medianTimes(
    {
      weightFlag: run(() => tf.matMul(input, outputGradient, true, false)),
      inputFlag: run(() => tf.matMul(outputGradient, kernel, false, true)),
    },
    { warmups: 1, rounds: 3 },
  );
  tf.dispose([input, kernel, outputGradient]);

  const weight = 'weight gradient xᵀ·dy';
  const inputGradient = 'input gradient dy·Wᵀ';
  return [
    { product: 'forward x·W (W reused)', form: 'tf.matMul(x, W)', time: fast.reference },
    { product: weight, form: 'tf.matMul(x, dy, true, false)', time: flagged.weightFlag },
    { product: weight, form: 'tf.matMul(tf.transpose(x), dy)', time: fast.weightExplicit },
    { product: weight, form: 'matMulTransposed: same as above', time: fast.weightOrdered },
    { product: inputGradient, form: 'tf.matMul(dy, W, false, true)', time: flagged.inputFlag },
    { product: inputGradient, form: 'tf.matMul(dy, tf.transpose(W))', time: fast.inputExplicit },
    { product: inputGradient, form: 'matMulTransposed: (W·dyᵀ)ᵀ', time: fast.inputOrdered },
  ];
}
