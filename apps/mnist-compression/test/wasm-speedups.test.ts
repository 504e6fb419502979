import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmTrainingSpeedups } from '../src/wasm-speedups.js';

/** Largest absolute difference between two tensors' values. */
function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('installWasmTrainingSpeedups', () => {
  // Reference values come from the unpatched kernels and gradients, computed before installing.
  let a: tf.Tensor;
  let b: tf.Tensor;
  let x: tf.Tensor;
  let gamma: tf.Tensor;
  let beta: tf.Tensor;
  let upstream: tf.Tensor;
  let expectedTransposedA: tf.Tensor;
  let expectedTransposedB: tf.Tensor;
  let expectedGradients: tf.Tensor[];
  let originalMatMul: tf.KernelFunc | undefined;
  let originalGradient: tf.GradFunc | undefined;

  // Loss through training-mode batch normalization, as tf.layers.batchNormalization computes it.
  const batchNormLoss = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(input, 0);
    return tf.sum(tf.mul(tf.batchNorm2d(input as tf.Tensor2D, mean as tf.Tensor1D, variance as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3), upstream));
  };

  beforeAll(async () => {
    await tf.setBackend('wasm');
    a = tf.randomNormal([3, 5, 7], 0, 1, 'float32', 11);
    b = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 12);
    x = tf.randomNormal([16, 6], 2, 3, 'float32', 13);
    gamma = tf.randomNormal([6], 1, 0.2, 'float32', 14);
    beta = tf.randomNormal([6], 0, 0.2, 'float32', 15);
    upstream = tf.randomNormal([16, 6], 0, 1, 'float32', 16);
    expectedTransposedA = tf.matMul(a, b, true, false);
    expectedTransposedB = tf.matMul(b, b, false, true);
    expectedGradients = tf.grads(batchNormLoss)([x, gamma, beta]);
    originalMatMul = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    originalGradient = tf.getGradient('FusedBatchNorm')?.gradFunc;
    installWasmTrainingSpeedups();
  });

  // float32 products of length 5 and sums over 16 rows: differences stay within a few ulps of values of order 10.
  const tolerance = 1e-4;

  it('replaces the wasm matMul kernel', () => {
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(originalMatMul);
  });

  it('replaces the batch-norm gradient', () => {
    expect(tf.getGradient('FusedBatchNorm')?.gradFunc).not.toBe(originalGradient);
  });

  it('keeps transposeA products', () => {
    expect(maxDifference(tf.matMul(a, b, true, false), expectedTransposedA)).toBeLessThan(tolerance);
  });

  it('keeps transposeB products', () => {
    expect(maxDifference(tf.matMul(b, b, false, true), expectedTransposedB)).toBeLessThan(tolerance);
  });

  it('keeps batch-norm input gradients', () => {
    const [dx] = tf.grads(batchNormLoss)([x, gamma, beta]);
    expect(maxDifference(dx, expectedGradients[0])).toBeLessThan(tolerance);
  });

  it('keeps batch-norm scale gradients', () => {
    const [, dGamma] = tf.grads(batchNormLoss)([x, gamma, beta]);
    expect(maxDifference(dGamma, expectedGradients[1])).toBeLessThan(tolerance);
  });

  it('keeps batch-norm offset gradients', () => {
    const [, , dBeta] = tf.grads(batchNormLoss)([x, gamma, beta]);
    expect(maxDifference(dBeta, expectedGradients[2])).toBeLessThan(tolerance);
  });

  it('frees the transposed copies', () => {
    const before = tf.memory().numTensors;
    tf.matMul(a, b, true, false).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('does nothing when called twice', () => {
    expect(() => installWasmTrainingSpeedups()).not.toThrow();
  });
});
