import type { Factors } from './collapse.js';
import { validateFactors } from './collapse.js';
import type { BatchedRegularizerResult, FactorGradients, FactorTensors, RegularizerResult } from './frobenius-decay.js';
import type { Matrix } from './matrix.js';
import { scale } from './matrix-ops.js';
import type { TensorOps } from './tensor-ops.js';
import {
  sumPenaltiesOverHeads,
  sumResultsOverHeads,
  validateCoefficient,
  validateHeadCount,
} from './regularizer-heads.js';

/**
 * Builds the plain weight-decay penalty on the factors, (λ/2)·(‖U‖²_F + ‖V‖²_F), plus
 * (λ/2)·‖M‖²_F for three factors, from the operations of `ops`. This is the baseline that
 * Frobenius decay replaces: it penalizes each factor, not their product.
 *
 * λ follows PyTorch's weight_decay convention, so the gradient is λ·w for every factor w. A
 * TensorFlow.js `l2` regularizer with coefficient c adds c·‖w‖²_F (tfjs-layers 4.22), so the
 * same decay there is c = λ/2 on each factor.
 *
 * Throws InvalidArgumentError naming `coefficient` unless it is finite and ≥ 0.
 */
export function weightDecayPenalty<T>(ops: TensorOps<T>, factors: FactorTensors<T>, coefficient: number): T {
  validateCoefficient(coefficient);
  return penaltyOfTensors(ops, factors, coefficient);
}

/**
 * Builds the sum of the weight-decay penalties of several factor sets, one per attention head
 * for example. Throws InvalidArgumentError for an empty list and as `weightDecayPenalty` does
 * otherwise.
 */
export function weightDecayPenaltyBatched<T>(
  ops: TensorOps<T>,
  heads: readonly FactorTensors<T>[],
  coefficient: number,
): T {
  validateCoefficient(coefficient);
  validateHeadCount(heads);

  return sumPenaltiesOverHeads(ops, heads, (factors) => penaltyOfTensors(ops, factors, coefficient));
}

function penaltyOfTensors<T>(ops: TensorOps<T>, factors: FactorTensors<T>, coefficient: number): T {
  const { left, middle, right } = factors;
  let squaredNorms = ops.add(ops.sum(ops.mul(left, left)), ops.sum(ops.mul(right, right)));
  if (middle !== undefined) {
    squaredNorms = ops.add(squaredNorms, ops.sum(ops.mul(middle, middle)));
  }
  return ops.scale(squaredNorms, coefficient / 2);
}

/**
 * Computes the weight-decay penalty (λ/2)·(‖U‖²_F + ‖V‖²_F (+ ‖M‖²_F)) and its gradients λ·U,
 * λ·V (and λ·M) on float64 matrices.
 *
 * Throws InvalidArgumentError naming `coefficient` unless it is finite and ≥ 0, and throws as
 * `validateFactors` does. The factors must chain although the penalty would not need it,
 * because factors that do not chain are not one layer and signal a mistake.
 */
export function weightDecay(factors: Factors, coefficient: number): RegularizerResult {
  validateCoefficient(coefficient);
  validateFactors(factors);
  return weightDecayOfValidated(factors, coefficient);
}

/**
 * Computes the sum of the weight-decay penalties of several factor sets, one per attention
 * head for example, with each head's gradients as `weightDecay` gives them. Throws
 * InvalidArgumentError for an empty list and names the offending head otherwise.
 */
export function weightDecayBatched(heads: readonly Factors[], coefficient: number): BatchedRegularizerResult {
  validateCoefficient(coefficient);
  validateHeadCount(heads);
  return sumResultsOverHeads(heads, (factors) => weightDecayOfValidated(factors, coefficient));
}

function weightDecayOfValidated(factors: Factors, coefficient: number): RegularizerResult {
  const { left, right } = factors;
  const middle = 'middle' in factors ? factors.middle : undefined;
  let squaredNorms = sumOfSquares(left) + sumOfSquares(right);
  const gradients: FactorGradients = {
    left: scale(left, coefficient),
    right: scale(right, coefficient),
  };

  if (middle !== undefined) {
    squaredNorms += sumOfSquares(middle);
    gradients.middle = scale(middle, coefficient);
  }

  return { value: (coefficient / 2) * squaredNorms, gradients };
}

function sumOfSquares(matrix: Matrix): number {
  let total = 0;
  for (const entry of matrix.data) {
    total += entry * entry;
  }
  return total;
}
