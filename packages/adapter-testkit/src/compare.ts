import type { AdapterPrecision, Factors, Matrix } from '@factorized/core';
import { FactorizedError } from '@factorized/core';

/** A failed conformance check. The message names the adapter, the check and the values that differ. */
export class ConformanceError extends FactorizedError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message);
    if (options.cause !== undefined) {
      this.cause = options.cause;
    }
  }
}

/**
 * Default tolerance of a comparison for each precision. The checks use matrices of at most
 * 16 rows or columns, so every compared entry comes from at most k ≈ 64 roundings, and
 * k·2^-24 ≈ 3.8e-6 (float32) and k·2^-53 ≈ 7.1e-15 (float64) bound its relative error.
 */
export const DEFAULT_TOLERANCE: Readonly<Record<AdapterPrecision, number>> = {
  float32: 1e-5,
  float64: 1e-12,
};

/**
 * Throws ConformanceError unless `actual` has the shape of `expected` and
 * max|actual − expected| ≤ tolerance · max(1, max|expected|), the error relative to the
 * reference's largest entry, or absolute for entries below 1.
 */
export function expectClose(subject: string, actual: unknown, expected: Matrix, tolerance: number): void {
  const checked = expectShape(subject, actual, expected);
  const { difference, index } = maxDifference(checked, expected);
  const bound = tolerance * Math.max(1, maxMagnitude(expected));

  if (!(difference <= bound)) {
    throw new ConformanceError(
      `${subject} differs from core's: max |actual − expected| = ${difference} at ${position(expected, index)} ` +
        `(actual ${checked.data[index]}, expected ${expected.data[index]}), allowed ${bound} ` +
        `= ${tolerance} · max(1, max |expected|).`,
    );
  }
}

/** Throws ConformanceError unless `actual` has the shape of `expected` and equal entries (===). */
export function expectIdentical(subject: string, actual: unknown, expected: Matrix): void {
  const checked = expectShape(subject, actual, expected);
  for (let index = 0; index < expected.data.length; index++) {
    const a = checked.data[index];
    const b = expected.data[index];
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
      throw new ConformanceError(
        `${subject} is not bit-exact: ${a} instead of ${b} at ${position(expected, index)}.`,
      );
    }
  }
}

/** Throws ConformanceError unless `actual` is a finite number within tolerance · max(1, |expected|) of `expected`. */
export function expectCloseNumber(subject: string, actual: unknown, expected: number, tolerance: number): void {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) {
    throw new ConformanceError(`${subject} must be a finite number, got ${String(actual)}.`);
  }

  const bound = tolerance * Math.max(1, Math.abs(expected));
  const difference = Math.abs(actual - expected);
  if (!(difference <= bound)) {
    throw new ConformanceError(
      `${subject} differs from core's: ${actual} instead of ${expected}, |difference| = ${difference}, allowed ${bound}.`,
    );
  }
}

/**
 * Throws ConformanceError unless `actual` has the same factors as `expected` (a middle factor
 * exactly when `expected` has one), each within `tolerance`, or bit-exact when it is 'exact'.
 */
export function expectFactors(subject: string, actual: unknown, expected: Factors, tolerance: number | 'exact'): void {
  if (typeof actual !== 'object' || actual === null) {
    throw new ConformanceError(`${subject} must be an object with left and right matrices, got ${String(actual)}.`);
  }

  const factors = actual as Partial<Record<'left' | 'middle' | 'right', unknown>>;
  const expectedMiddle = 'middle' in expected ? expected.middle : undefined;
  if ((factors.middle === undefined) !== (expectedMiddle === undefined)) {
    throw new ConformanceError(
      `${subject} ${expectedMiddle === undefined ? 'has a middle factor, but expected two factors' : 'has no middle factor, but expected three factors'}.`,
    );
  }

  const compare = (role: string, value: unknown, reference: Matrix): void =>
    tolerance === 'exact'
      ? expectIdentical(`${subject}.${role}`, value, reference)
      : expectClose(`${subject}.${role}`, value, reference, tolerance);

  compare('left', factors.left, expected.left);
  if (expectedMiddle !== undefined) {
    compare('middle', factors.middle, expectedMiddle);
  }
  compare('right', factors.right, expected.right);
}

/** Throws ConformanceError unless `actual` is a Matrix (any copy of core's class), and returns it. */
export function expectMatrix(subject: string, actual: unknown): Matrix {
  if (!isMatrixLike(actual)) {
    throw new ConformanceError(`${subject} must be a Matrix from @factorized/core, got ${describeValue(actual)}.`);
  }
  return actual;
}

function expectShape(subject: string, actual: unknown, expected: Matrix): Matrix {
  const matrix = expectMatrix(subject, actual);
  if (matrix.rows !== expected.rows || matrix.columns !== expected.columns) {
    throw new ConformanceError(
      `${subject} is ${matrix.rows}×${matrix.columns}, but core's is ${expected.rows}×${expected.columns}.`,
    );
  }
  return matrix;
}

/**
 * Accepts any object shaped like core's Matrix, because an adapter may load its own copy of
 * @factorized/core (a different version, or ESM next to CJS), where instanceof would fail.
 */
function isMatrixLike(value: unknown): value is Matrix {
  if (typeof value !== 'object' || value === null) {
    return false;
  }

  const candidate = value as Partial<Matrix>;
  return (
    typeof candidate.rows === 'number' &&
    typeof candidate.columns === 'number' &&
    candidate.data instanceof Float64Array &&
    candidate.data.length === candidate.rows * candidate.columns
  );
}

function maxDifference(actual: Matrix, expected: Matrix): { difference: number; index: number } {
  let difference = 0;
  let index = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const entry = Math.abs(actual.data[i] - expected.data[i]);
    // NaN compares false, so it is kept as the largest difference.
    if (!(entry <= difference)) {
      difference = entry;
      index = i;
      if (Number.isNaN(entry)) {
        break;
      }
    }
  }
  return { difference, index };
}

function maxMagnitude(matrix: Matrix): number {
  let result = 0;
  for (const entry of matrix.data) {
    result = Math.max(result, Math.abs(entry));
  }
  return result;
}

function position(matrix: Matrix, index: number): string {
  return `row ${Math.floor(index / matrix.columns)}, column ${index % matrix.columns}`;
}

function describeValue(value: unknown): string {
  if (typeof value !== 'object' || value === null) {
    return String(value);
  }
  return value.constructor?.name ?? 'an object';
}
