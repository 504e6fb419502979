import type { Factors } from './collapse.js';
import { validateFactors } from './collapse.js';
import type { Matrix } from './matrix.js';
import { gram, hadamard, matMul, scale, sumAll } from './matrix-ops.js';
import type { TensorOps } from './tensor-ops.js';
import {
  sumPenaltiesOverHeads,
  sumResultsOverHeads,
  validateCoefficient,
  validateHeadCount,
} from './regularizer-heads.js';

/**
 * The factors of one layer as tensors of any framework: U (in × r), V (r × out) and, for a
 * three-factor layer, M (r × r) between them.
 */
export interface FactorTensors<T> {
  left: T;
  middle?: T;
  right: T;
}

/** Gradients of a regularizer, one per factor and of the same shape as that factor. */
export interface FactorGradients {
  left: Matrix;
  /** Present exactly when the factors had a middle factor. */
  middle?: Matrix;
  right: Matrix;
}

/** A regularizer's value and its gradients with respect to the factors of one layer. */
export interface RegularizerResult {
  value: number;
  gradients: FactorGradients;
}

/**
 * A regularizer summed over several factorized products, such as the heads of a multi-head
 * attention layer, with the gradients of each head in input order.
 */
export interface BatchedRegularizerResult {
  value: number;
  gradients: FactorGradients[];
}

/**
 * Builds the Frobenius-decay penalty (λ/2)·‖U·V‖²_F, or (λ/2)·‖U·M·V‖²_F for three factors,
 * from the operations of `ops`, so a framework's autodiff can differentiate it.
 *
 * The product is never formed. The penalty is computed as (λ/2)·sum((UᵀU) ⊙ (V Vᵀ)), or
 * (λ/2)·sum((Mᵀ UᵀU M) ⊙ (V Vᵀ)), from r × r Gram matrices in O((in + out)·r² + r³) time,
 * whereas the in × out product would cost O(in·out·r). The identity follows from
 * ‖U M V‖²_F = tr(Mᵀ UᵀU M · V Vᵀ) and the symmetry of V Vᵀ.
 *
 * λ follows PyTorch's weight_decay convention, so the gradient with respect to the product
 * W is λ·W. A TensorFlow.js `l2` regularizer with coefficient c adds c·‖W‖²_F (tfjs-layers
 * 4.22), so Frobenius decay with λ matches `l2` with c = λ/2 on the unfactorized layer.
 *
 * Throws InvalidArgumentError naming `coefficient` unless it is finite and ≥ 0. Shapes are
 * checked by `ops` only, because T is opaque here.
 */
export function frobeniusDecayPenalty<T>(ops: TensorOps<T>, factors: FactorTensors<T>, coefficient: number): T {
  validateCoefficient(coefficient);
  return penaltyFromGrams(ops, factors, coefficient);
}

/**
 * Builds the sum of the Frobenius-decay penalties of several factorized products, one per
 * attention head for example, as `frobeniusDecayPenalty` computes each. Throws
 * InvalidArgumentError for an empty list and as `frobeniusDecayPenalty` does otherwise.
 */
export function frobeniusDecayPenaltyBatched<T>(
  ops: TensorOps<T>,
  heads: readonly FactorTensors<T>[],
  coefficient: number,
): T {
  validateCoefficient(coefficient);
  validateHeadCount(heads);

  return sumPenaltiesOverHeads(ops, heads, (factors) => penaltyFromGrams(ops, factors, coefficient));
}

function penaltyFromGrams<T>(ops: TensorOps<T>, factors: FactorTensors<T>, coefficient: number): T {
  const { left, middle, right } = factors;
  const leftGram = ops.matMul(left, left, true, false);
  const rightGram = ops.matMul(right, right, false, true);
  const innerGram =
    middle === undefined ? leftGram : ops.matMul(middle, ops.matMul(leftGram, middle, false, false), true, false);
  return ops.scale(ops.sum(ops.mul(innerGram, rightGram)), coefficient / 2);
}

/**
 * Computes the Frobenius-decay penalty (λ/2)·‖U·V‖²_F, or (λ/2)·‖U·M·V‖²_F, and its exact
 * gradients on float64 matrices, for adapters without autodiff and for checking those with it.
 *
 * With A = UᵀU and B = V Vᵀ (r × r Gram matrices) the gradients are
 * - two factors: λ·U·B for U and λ·A·V for V;
 * - three factors: λ·U·(M B Mᵀ) for U, λ·A·M·B for M and λ·(Mᵀ A M)·V for V.
 * The in × out product is never formed, so the cost is O((in + out)·r² + r³).
 *
 * Throws InvalidArgumentError naming `coefficient` unless it is finite and ≥ 0, and throws
 * as `validateFactors` does for factors that are not finite or do not chain.
 */
export function frobeniusDecay(factors: Factors, coefficient: number): RegularizerResult {
  validateCoefficient(coefficient);
  validateFactors(factors);
  return frobeniusDecayOfValidated(factors, coefficient);
}

/**
 * Computes the sum of the Frobenius-decay penalties of several factorized products, one per
 * attention head for example, with each head's gradients as `frobeniusDecay` gives them.
 * Throws InvalidArgumentError for an empty list and names the offending head otherwise.
 */
export function frobeniusDecayBatched(heads: readonly Factors[], coefficient: number): BatchedRegularizerResult {
  validateCoefficient(coefficient);
  validateHeadCount(heads);
  return sumResultsOverHeads(heads, (factors) => frobeniusDecayOfValidated(factors, coefficient));
}

function frobeniusDecayOfValidated(factors: Factors, coefficient: number): RegularizerResult {
  const { left, right } = factors;
  const middle = 'middle' in factors ? factors.middle : undefined;
  const leftGram = gram(left, 'columns');
  const rightGram = gram(right, 'rows');

  if (middle === undefined) {
    return {
      value: (coefficient / 2) * sumAll(hadamard(leftGram, rightGram)),
      gradients: {
        left: scale(matMul(left, rightGram), coefficient),
        right: scale(matMul(leftGram, right), coefficient),
      },
    };
  }

  // Mᵀ A M is the Gram matrix of U·M, and M B Mᵀ that of M·V.
  const leftGramMiddle = matMul(leftGram, middle);
  const innerLeftGram = matMul(middle, leftGramMiddle, { transposeA: true });
  const middleRightGram = matMul(middle, rightGram);
  const innerRightGram = matMul(middleRightGram, middle, { transposeB: true });

  return {
    value: (coefficient / 2) * sumAll(hadamard(innerLeftGram, rightGram)),
    gradients: {
      left: scale(matMul(left, innerRightGram), coefficient),
      middle: scale(matMul(leftGramMiddle, rightGram), coefficient),
      right: scale(matMul(innerLeftGram, right), coefficient),
    },
  };
}
