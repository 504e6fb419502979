import {
  checkKnownKeys,
  checkNonNegativeInteger,
  checkPlainObject,
  checkPositive,
  checkPositiveInteger,
} from './argument-checks.js';
import { InvalidArgumentError } from './errors.js';

// Parameter counts of dense and factorized layers. rank-selection.ts re-exports the public
// functions; the package index does not export the helpers at the end of this file.

/** Number of factors of a factorized weight: U·V (2) or U·M·V (3, M is rank × rank). */
export type FactorCount = 2 | 3;

/**
 * Returns the rank for a rank scale: round(scale · min(rows, columns)), at least 1. Halves
 * round to even, as Python's round() does in the reference code (microsoft/fnl_paper), so
 * both give the same ranks. A scale above 1 needs `overcomplete: true`.
 */
export function rankFromScale(
  scale: number,
  rows: number,
  columns: number,
  options: { overcomplete?: boolean } = {},
): number {
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['overcomplete']);
  const overcomplete = options.overcomplete ?? false;
  if (typeof overcomplete !== 'boolean') {
    throw new InvalidArgumentError('options.overcomplete', overcomplete, 'a boolean');
  }

  checkPositive('scale', scale);
  if (scale > 1 && !overcomplete) {
    throw new InvalidArgumentError(
      'scale',
      scale,
      'a number in (0, 1], or above 1 together with overcomplete: true',
    );
  }
  return rankAt(scale, rows, columns);
}

/** Returns rows · columns + bias, the parameters of a dense layer. */
export function denseParameterCount(rows: number, columns: number, options: { bias?: number } = {}): number {
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['bias']);
  const bias = options.bias ?? 0;
  checkNonNegativeInteger('options.bias', bias);
  return checkedCount(rows * columns + bias, 'rows × columns + bias');
}

/**
 * Returns rank · (rows + columns) + bias for U·V, plus rank² for U·M·V: the parameters of a
 * factorized layer.
 */
export function factorizedParameterCount(
  rows: number,
  columns: number,
  rank: number,
  options: { factors?: FactorCount; bias?: number } = {},
): number {
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  checkPositiveInteger('rank', rank);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['factors', 'bias']);
  const factors = readFactors('options.factors', options.factors);
  const bias = options.bias ?? 0;
  checkNonNegativeInteger('options.bias', bias);
  return checkedCount(
    factorizedWeightCount(rows, columns, rank, factors) + bias,
    'rank × (rows + columns) + bias',
  );
}

/**
 * Returns the rank at which a factorized rows × columns weight has as many parameters as the
 * dense one: rows·columns / (rows + columns) for U·V, the positive root of
 * r² + r(rows + columns) = rows·columns for U·M·V. Factorizing saves parameters only at ranks
 * strictly below it. The result is a real number, not rounded.
 */
export function breakEvenRank(
  rows: number,
  columns: number,
  options: { factors?: FactorCount } = {},
): number {
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('columns', columns);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['factors']);
  const factors = readFactors('options.factors', options.factors);

  const sum = rows + columns;
  const product = rows * columns;
  if (factors === 2) {
    return product / sum;
  }
  // NOTE: 2mn / (√((m+n)² + 4mn) + (m+n)) is the root (√(…) − (m+n)) / 2 without cancellation.
  return (2 * product) / (Math.sqrt(sum * sum + 4 * product) + sum);
}

/** Returns `factors` (default 2) after checking it is 2 or 3. */
export function readFactors(argument: string, factors: unknown): FactorCount {
  const value = factors ?? 2;
  if (value !== 2 && value !== 3) {
    throw new InvalidArgumentError(argument, value, '2 (U·V) or 3 (U·M·V)');
  }
  return value;
}

/** Returns round-half-to-even(scale · min(rows, columns)), at least 1, without input checks. */
export function rankAt(scale: number, rows: number, columns: number): number {
  return Math.max(1, roundHalfToEven(scale * Math.min(rows, columns)));
}

function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) {
    return floor + 1;
  }
  if (fraction < 0.5) {
    return floor;
  }
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Returns the weight parameters of U·V or U·M·V, bias excluded, without input checks. */
export function factorizedWeightCount(
  rows: number,
  columns: number,
  rank: number,
  factors: FactorCount,
): number {
  return rank * (rows + columns) + (factors === 3 ? rank * rank : 0);
}

/** Returns `count` after checking it is a safe integer, so parameter counts stay exact. */
export function checkedCount(count: number, argument = 'layers'): number {
  if (!Number.isSafeInteger(count)) {
    throw new InvalidArgumentError(argument, count, 'a parameter count below 2^53, so it is exact');
  }
  return count;
}
