import type { FactorizedAdapter } from '@factorized/core';
import { InvalidArgumentError } from '@factorized/core';

import type { ConformanceOptions } from './conformance-checks.js';
import { conformanceChecks } from './conformance-checks.js';

/**
 * The two functions of a jest-like test runner that `describeConformance` calls. jest's and
 * vitest's `describe` and `it` (or `test`) fit as they are, and so does node:test's.
 */
export interface TestRegistrar {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void>, timeout?: number) => void;
}

/** Options of `describeConformance`: those of `conformanceChecks` and a timeout per check. */
export interface DescribeConformanceOptions extends ConformanceOptions {
  /** Timeout of each check in milliseconds, passed to `it` as its third argument. Default: the runner's. */
  timeout?: number;
}

/**
 * Registers the conformance checks of `adapter` with a test runner: one `describe` block named
 * after the adapter, one test per check. The testkit imports no runner, so the caller passes
 * its own:
 *
 * ```ts
 * import { describe, it } from '@jest/globals';
 * describeConformance(myAdapter, { describe, it });
 * ```
 *
 * Throws InvalidArgumentError as `conformanceChecks` does, and when `describe` or `it` is not
 * a function or the timeout is not a positive number.
 */
export function describeConformance<Layer, Tensor>(
  adapter: FactorizedAdapter<Layer, Tensor>,
  registrar: TestRegistrar,
  options: DescribeConformanceOptions = {},
): void {
  if (typeof registrar !== 'object' || registrar === null) {
    throw new InvalidArgumentError('registrar', registrar, 'an object with the functions describe and it');
  }
  for (const member of ['describe', 'it'] as const) {
    if (typeof registrar[member] !== 'function') {
      throw new InvalidArgumentError(`registrar.${member}`, registrar[member], 'a function, such as jest\'s');
    }
  }

  const { timeout, ...checkOptions } = options;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout))) {
    throw new InvalidArgumentError('timeout', timeout, 'a finite number of milliseconds > 0');
  }

  const checks = conformanceChecks(adapter, checkOptions);
  registrar.describe(`${adapter.name} conformance`, () => {
    for (const check of checks) {
      if (timeout === undefined) {
        registrar.it(check.name, () => check.run());
      } else {
        registrar.it(check.name, () => check.run(), timeout);
      }
    }
  });
}
