import type { FactorizedAdapter } from '@factorized/core';
import { formatValue, InvalidArgumentError } from '@factorized/core';

import type { CheckContext, ConformanceCheck } from './check-context.js';
import { ConformanceError, DEFAULT_TOLERANCE } from './compare.js';
import { initializationChecks, layerChecks, regularizerChecks } from './factor-checks.js';
import { invalidOptionChecks, memoryCheck, tensorOpsCheck } from './guard-checks.js';

/** Options of `conformanceChecks` and `describeConformance`. */
export interface ConformanceOptions {
  /**
   * Relative tolerance of every numeric comparison: max|a − b| ≤ tolerance · max(1, max|b|)
   * with b core's float64 value. Default 1e-5 for a float32 adapter, 1e-12 for float64.
   */
  tolerance?: number;
  /** Seed of every random input and every layer the checks build. Default 2105. */
  seed?: number;
  /**
   * Names of checks to leave out, for a gap the adapter documents. Each must be the name of a
   * check, so a renamed check is not skipped silently.
   */
  skip?: readonly string[];
}

const REQUIRED_MEMBERS = [
  'createLayer',
  'readFactors',
  'collapse',
  'predict',
  'frobeniusDecay',
  'weightDecay',
  'saveAndLoad',
] as const;

/**
 * Returns the conformance checks of `adapter`, each a name and an async `run` that rejects with
 * the reason when the adapter differs from core. Any test runner can run them, and
 * `describeConformance` registers them with jest or vitest.
 *
 * The checks compare spectral and standard factors with core's initializeFactors for the same
 * seed, and check the default kernel initializer. They compare Frobenius decay and weight decay
 * values and gradients with core's, and check collapse, predict, a bit-exact save and load, and
 * the rejection of invalid options. When the adapter provides `memory` or `tensorOps`, they also
 * look for leaked tensors and check the tensor ops.
 *
 * Throws InvalidArgumentError when the adapter lacks a required member or an option is invalid.
 */
export function conformanceChecks<Layer, Tensor>(
  adapter: FactorizedAdapter<Layer, Tensor>,
  options: ConformanceOptions = {},
): ConformanceCheck[] {
  validateAdapter(adapter);
  const context = resolveContext(adapter, options);

  const checks: ConformanceCheck[] = [
    ...initializationChecks(context),
    ...regularizerChecks(context),
    ...layerChecks(context),
    ...invalidOptionChecks(context),
  ];
  if (adapter.memory !== undefined) {
    checks.push(memoryCheck(context, adapter.memory.bind(adapter)));
  }
  if (adapter.tensorOps !== undefined) {
    checks.push(tensorOpsCheck(context, adapter.tensorOps));
  }

  const skip = options.skip ?? [];
  const names = checks.map((check) => check.name);
  for (const name of skip) {
    if (!names.includes(name)) {
      throw new InvalidArgumentError('skip', name, `names of checks, one of ${names.map((known) => JSON.stringify(known)).join(', ')}`);
    }
  }

  return checks
    .filter((check) => !skip.includes(check.name))
    .map((check) => ({ name: check.name, run: () => runWithContext(adapter.name, check) }));
}

/** Runs a check, and prefixes the adapter and the check to the message of any error it throws. */
async function runWithContext(adapterName: string, check: ConformanceCheck): Promise<void> {
  try {
    await check.run();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : formatValue(error);
    throw new ConformanceError(`${adapterName} failed "${check.name}": ${reason}`, { cause: error });
  }
}

function validateAdapter(adapter: unknown): asserts adapter is FactorizedAdapter<unknown, unknown> {
  if (typeof adapter !== 'object' || adapter === null) {
    throw new InvalidArgumentError('adapter', adapter, 'an object implementing FactorizedAdapter');
  }

  const candidate = adapter as Record<string, unknown>;
  if (typeof candidate.name !== 'string' || candidate.name === '') {
    throw new InvalidArgumentError('adapter.name', candidate.name, 'a non-empty package name');
  }
  if (candidate.precision !== 'float32' && candidate.precision !== 'float64') {
    throw new InvalidArgumentError('adapter.precision', candidate.precision, "'float32' or 'float64'");
  }
  for (const member of REQUIRED_MEMBERS) {
    if (typeof candidate[member] !== 'function') {
      throw new InvalidArgumentError(`adapter.${member}`, candidate[member], 'a function');
    }
  }
  for (const member of ['dispose', 'memory'] as const) {
    if (candidate[member] !== undefined && typeof candidate[member] !== 'function') {
      throw new InvalidArgumentError(`adapter.${member}`, candidate[member], 'a function or undefined');
    }
  }
}

function resolveContext<Layer, Tensor>(
  adapter: FactorizedAdapter<Layer, Tensor>,
  options: ConformanceOptions,
): CheckContext<Layer, Tensor> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', options, 'an object');
  }

  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE[adapter.precision];
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance <= 0) {
    throw new InvalidArgumentError('tolerance', tolerance, 'a finite number > 0');
  }

  const seed = options.seed ?? 2105;
  // Layer seeds go up to seed + 17, which must stay a safe integer.
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || !Number.isSafeInteger(seed + 17)) {
    throw new InvalidArgumentError('seed', seed, 'a safe integer below 2^53 − 18');
  }

  if (options.skip !== undefined && !Array.isArray(options.skip)) {
    throw new InvalidArgumentError('skip', options.skip, 'an array of check names');
  }

  return { adapter, tolerance, seed };
}
