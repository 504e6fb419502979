import type { FactorizedAdapter } from '@factorized/core';

import { conformanceChecks } from '../src/index.js';

/** Runs every conformance check of `adapter` and returns the names of those that failed, in order. */
export async function failingChecks<Layer, Tensor>(adapter: FactorizedAdapter<Layer, Tensor>): Promise<string[]> {
  const failed: string[] = [];
  for (const check of conformanceChecks(adapter)) {
    try {
      await check.run();
    } catch {
      failed.push(check.name);
    }
  }
  return failed;
}

/** Runs the check named `name` and returns its error message, or null when it passes. */
export async function failureMessage<Layer, Tensor>(
  adapter: FactorizedAdapter<Layer, Tensor>,
  name: string,
): Promise<string | null> {
  const check = conformanceChecks(adapter).find((candidate) => candidate.name === name);
  if (check === undefined) {
    throw new Error(`No check named ${name}`);
  }
  try {
    await check.run();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
