/**
 * Base class of every error that Factorized throws on purpose, so callers can catch the
 * library's errors apart from bugs.
 */
export class FactorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Error for an argument or option whose value is outside its valid range. The message names the
 * argument, shows the value and states what is valid.
 */
export class InvalidArgumentError extends FactorizedError {
  readonly argument: string;
  readonly value: unknown;

  /** `message` replaces the standard "Invalid X: expected Y, got Z." text, for a missing value. */
  constructor(argument: string, value: unknown, expected: string, message?: string) {
    super(message ?? `Invalid ${argument}: expected ${expected}, got ${formatValue(value)}.`);
    this.argument = argument;
    this.value = value;
  }
}

/** Matrices or tensors whose shapes do not fit the operation, for example factors that do not chain. */
export class ShapeMismatchError extends FactorizedError {}

/** A matrix or weight contains NaN or ±Infinity. */
export class NonFiniteValueError extends FactorizedError {}

/** An iterative method reached its iteration cap before its tolerance. */
export class ConvergenceError extends FactorizedError {
  readonly iterations: number;
  readonly residual: number;

  constructor(method: string, iterations: number, residual: number, tolerance: number) {
    super(`${method} did not converge: residual ${residual} after ${iterations} iterations, tolerance ${tolerance}.`);
    this.iterations = iterations;
    this.residual = residual;
  }
}

/** A combination of options that is valid in principle but not supported yet. */
export class UnsupportedError extends FactorizedError {}

/**
 * Formats a value for an error message: strings quoted, numbers as written (NaN, Infinity
 * and -0 included), arrays and plain objects as JSON where possible.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }

  if (typeof value === 'number') {
    return Object.is(value, -0) ? '-0' : String(value);
  }

  if (typeof value === 'bigint') {
    return `${value}n`;
  }

  if (value === undefined || value === null || typeof value === 'boolean') {
    return String(value);
  }

  if (typeof value === 'function') {
    return `function ${value.name || '(anonymous)'}`;
  }

  try {
    const json = JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'number' && !Number.isFinite(inner) ? String(inner) : inner,
    );
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
