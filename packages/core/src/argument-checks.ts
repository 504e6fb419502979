import { InvalidArgumentError } from './errors.js';
import type { ConvKernelShape, Fans } from './fans.js';

// Input checks shared by random.ts, initializers.ts, rank-selection.ts and conv-layout.ts.
// Not re-exported from the package index.

/** Throws InvalidArgumentError naming `argument` unless `value` is a positive safe integer. */
export function checkPositiveInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, value, 'a positive integer');
  }
}

/** Throws InvalidArgumentError naming `argument` unless `value` is a non-negative safe integer. */
export function checkNonNegativeInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a non-negative integer');
  }
}

/** Throws InvalidArgumentError naming `argument` unless `value` is a finite number. */
export function checkFinite(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(argument, value, 'a finite number');
  }
}

/** Throws InvalidArgumentError naming `argument` unless `value` is a finite number > 0. */
export function checkPositive(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(argument, value, 'a finite number > 0');
  }
}

/** Throws InvalidArgumentError naming `argument` unless `seed` is a safe integer. */
export function checkSeed(argument: string, seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(argument, seed, 'a safe integer (|seed| ≤ 2^53 − 1)');
  }
}

/** Throws InvalidArgumentError naming `argument` unless `value` is a plain object (not null, not an array). */
export function checkPlainObject(argument: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, value, 'an object');
  }
}

/**
 * Throws InvalidArgumentError naming the first key of `options` that is not in `known`, so a
 * misspelled option is reported instead of ignored.
 */
export function checkKnownKeys(
  argument: string,
  options: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `option name in ${argument}`,
        key,
        known.length === 0
          ? 'no options, because this takes none'
          : `one of ${known.map((name) => `'${name}'`).join(', ')}`,
      );
    }
  }
}

/** Throws InvalidArgumentError naming `argument` unless `fans` has finite, positive fanIn and fanOut. */
export function checkFans(argument: string, fans: unknown): asserts fans is Fans {
  checkPlainObject(argument, fans);
  checkPositive(`${argument}.fanIn`, fans.fanIn);
  checkPositive(`${argument}.fanOut`, fans.fanOut);
}

/**
 * Throws InvalidArgumentError naming `argument` unless `shape` is an array of four positive
 * integers [kernelHeight, kernelWidth, inChannels, outChannels].
 */
export function checkConvKernelShape(argument: string, shape: unknown): asserts shape is ConvKernelShape {
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new InvalidArgumentError(
      argument,
      shape,
      'a kernel shape [kernelHeight, kernelWidth, inChannels, outChannels]',
    );
  }

  const names = ['kernelHeight', 'kernelWidth', 'inChannels', 'outChannels'];
  (shape as unknown[]).forEach((value, index) => {
    checkPositiveInteger(`${argument}[${index}] (${names[index]})`, value);
  });
}
