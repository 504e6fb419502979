import type { Factors } from './collapse.js';
import { validateFactors } from './collapse.js';
import { InvalidArgumentError } from './errors.js';
import type { BatchedRegularizerResult, FactorGradients, FactorTensors, RegularizerResult } from './frobenius-decay.js';
import type { TensorOps } from './tensor-ops.js';

// Checks and per-head sums shared by Frobenius decay and weight decay. Not exported from the
// package index.

/** Throws InvalidArgumentError naming `coefficient` unless it is finite and ≥ 0. */
export function validateCoefficient(coefficient: number): void {
  if (typeof coefficient !== 'number' || !Number.isFinite(coefficient) || coefficient < 0) {
    throw new InvalidArgumentError('coefficient', coefficient, 'a finite number ≥ 0');
  }
}

/** Throws InvalidArgumentError naming `heads` unless it is a non-empty array. */
export function validateHeadCount(heads: readonly unknown[]): void {
  if (!Array.isArray(heads) || heads.length === 0) {
    throw new InvalidArgumentError('heads', heads, 'a non-empty array of factor sets, one per head');
  }
}

/** Adds up `penalty` over every head with the operations of `ops`; `heads` must be non-empty. */
export function sumPenaltiesOverHeads<T>(
  ops: TensorOps<T>,
  heads: readonly FactorTensors<T>[],
  penalty: (factors: FactorTensors<T>) => T,
): T {
  let total = penalty(heads[0]);
  for (let head = 1; head < heads.length; head++) {
    total = ops.add(total, penalty(heads[head]));
  }
  return total;
}

/**
 * Validates every head's factors (the error names `heads[i]`), then adds up the values of
 * `compute` and keeps each head's gradients in input order.
 */
export function sumResultsOverHeads(
  heads: readonly Factors[],
  compute: (factors: Factors) => RegularizerResult,
): BatchedRegularizerResult {
  heads.forEach((factors, head) => validateFactors(factors, `heads[${head}]`));

  let value = 0;
  const gradients: FactorGradients[] = [];
  for (const factors of heads) {
    const result = compute(factors);
    value += result.value;
    gradients.push(result.gradients);
  }
  return { value, gradients };
}
