import * as tf from '@tensorflow/tfjs';
import type { FactorTensors } from '@factorized/core';
import { frobeniusDecayPenalty, InvalidArgumentError, weightDecayPenalty } from '@factorized/core';
import { matMulTransposed, saveForGradient, tfjsOps } from './tfjs-ops.js';

/**
 * Computes the Frobenius-decay penalty (λ/2)·‖U·V‖²_F, or (λ/2)·‖U·M·V‖²_F, as a scalar
 * tensor whose gradients are core's explicit formulas: λ·U·(V Vᵀ) for U and λ·(UᵀU)·V for V,
 * and with three factors λ·U·(M B Mᵀ), λ·A·M·B and λ·(Mᵀ A M)·V, where A = UᵀU and B = V Vᵀ.
 *
 * The value is the Gram formula of core's `frobeniusDecayPenalty`, so the in × out product is
 * not formed: O((in + out)·r² + r³) per call. The Gram matrices of the forward pass are kept
 * for the gradients. The exception is two factors at a rank above 1.5·in·out/(in + out), only
 * reached by overcomplete layers, where forming U·V costs less and is done instead.
 *
 * NOTE: tf.customGrad with these gradients beats autodiff of the same formula, whose matMul
 * gradients use transpose flags that the wasm backend runs slowly. Measured per value and
 * gradient for U 784×64, V 64×512 (Node 20, one thread): wasm 1.9 ms against 21.8 ms by
 * autodiff, cpu 43.6 ms against 45.8 ms.
 * NOTE: under tfjs's IS_TEST flag the engine counts the kept Gram matrices as a kernel memory
 * leak and throws. They are freed when the gradients have been computed.
 */
export function frobeniusDecayTensor(factors: FactorTensors<tf.Tensor>, coefficient: number): tf.Scalar {
  checkCoefficient(coefficient);
  if (factors.middle === undefined) {
    const [rows, rank] = factors.left.shape as [number, number];
    const columns = factors.right.shape[1] as number;
    if (productFormIsCheaper(rows, columns, rank)) {
      return frobeniusDecayPairByProduct(coefficient)(factors.left, factors.right);
    }
    return frobeniusDecayPair(coefficient)(factors.left, factors.right);
  }
  return frobeniusDecayTriple(coefficient)(factors.left, factors.middle, factors.right);
}

/**
 * Computes the Frobenius-decay penalty by tfjs autodiff of core's Gram formula, without the
 * explicit gradients of `frobeniusDecayTensor`. Kept for the comparison in tests and benchmarks.
 */
export function frobeniusDecayTensorByAutodiff(factors: FactorTensors<tf.Tensor>, coefficient: number): tf.Scalar {
  return frobeniusDecayPenalty(tfjsOps, factors, coefficient) as tf.Scalar;
}

/**
 * Computes the weight-decay baseline (λ/2)·(‖U‖²_F + ‖V‖²_F (+ ‖M‖²_F)) as a scalar tensor
 * with core's formula; its gradient is λ·w for every factor w.
 */
export function weightDecayTensor(factors: FactorTensors<tf.Tensor>, coefficient: number): tf.Scalar {
  return weightDecayPenalty(tfjsOps, factors, coefficient) as tf.Scalar;
}

function frobeniusDecayPair(coefficient: number): (left: tf.Tensor, right: tf.Tensor) => tf.Scalar {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [left, right] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const leftGram = matMulTransposed(left, left, true, false);
    const rightGram = matMulTransposed(right, right, false, true);
    const value = tf.mul(tf.sum(tf.mul(leftGram, rightGram)), tf.scalar(coefficient / 2));
    const restore = saveForGradient(save, [left, right, leftGram, rightGram]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedLeft, savedRight, savedLeftGram, savedRightGram] = restore(saved);
      // The factor λ·dy scales the r × r Gram matrices, not the larger products.
      const factor = tf.mul(dy, tf.scalar(coefficient));
      return [
        tf.matMul(savedLeft, tf.mul(savedRightGram, factor)),
        tf.matMul(tf.mul(savedLeftGram, factor), savedRight),
      ];
    };
    return { value, gradFunc };
  }) as (left: tf.Tensor, right: tf.Tensor) => tf.Scalar;
}

/**
 * Tells whether forming W = U·V is cheaper than the Gram form. Value and gradients cost about
 * 2·(m + n)·r² multiply-adds through the Gram matrices and 3·m·n·r through the product, so the
 * product wins above r = 1.5·m·n/(m + n), which only overcomplete layers reach.
 */
function productFormIsCheaper(rows: number, columns: number, rank: number): boolean {
  return 3 * rows * columns * rank < 2 * (rows + columns) * rank * rank;
}

/**
 * Computes (λ/2)·‖U·V‖²_F by forming W = U·V, with the gradients λ·W·Vᵀ for U and λ·Uᵀ·W for V.
 * Equal to the Gram form up to float32 rounding, and faster at overcomplete ranks.
 */
function frobeniusDecayPairByProduct(coefficient: number): (left: tf.Tensor, right: tf.Tensor) => tf.Scalar {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [left, right] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const product = tf.matMul(left, right);
    const value = tf.mul(tf.sum(tf.square(product)), tf.scalar(coefficient / 2));
    const restore = saveForGradient(save, [left, right, product]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedLeft, savedRight, savedProduct] = restore(saved);
      const scaledProduct = tf.mul(savedProduct, tf.mul(dy, tf.scalar(coefficient)));
      return [
        matMulTransposed(scaledProduct, savedRight, false, true),
        matMulTransposed(savedLeft, scaledProduct, true, false),
      ];
    };
    return { value, gradFunc };
  }) as (left: tf.Tensor, right: tf.Tensor) => tf.Scalar;
}

function frobeniusDecayTriple(
  coefficient: number,
): (left: tf.Tensor, middle: tf.Tensor, right: tf.Tensor) => tf.Scalar {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [left, middle, right] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const leftGram = matMulTransposed(left, left, true, false);
    const rightGram = matMulTransposed(right, right, false, true);
    // Mᵀ A M is the Gram matrix of U·M, and M B Mᵀ that of M·V.
    const leftGramMiddle = tf.matMul(leftGram, middle);
    const innerLeftGram = matMulTransposed(middle, leftGramMiddle, true, false);
    const innerRightGram = matMulTransposed(tf.matMul(middle, rightGram), middle, false, true);
    const value = tf.mul(tf.sum(tf.mul(innerLeftGram, rightGram)), tf.scalar(coefficient / 2));
    const restore = saveForGradient(save, [left, right, rightGram, leftGramMiddle, innerLeftGram, innerRightGram]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedLeft, savedRight, savedRightGram, savedLeftGramMiddle, savedInnerLeftGram, savedInnerRightGram] =
        restore(saved);
      const factor = tf.mul(dy, tf.scalar(coefficient));
      return [
        tf.matMul(savedLeft, tf.mul(savedInnerRightGram, factor)),
        tf.mul(tf.matMul(savedLeftGramMiddle, savedRightGram), factor),
        tf.matMul(tf.mul(savedInnerLeftGram, factor), savedRight),
      ];
    };
    return { value, gradFunc };
  }) as (left: tf.Tensor, middle: tf.Tensor, right: tf.Tensor) => tf.Scalar;
}

function checkCoefficient(coefficient: number): void {
  if (typeof coefficient !== 'number' || !Number.isFinite(coefficient) || coefficient < 0) {
    throw new InvalidArgumentError('coefficient', coefficient, 'a finite number ≥ 0');
  }
}
