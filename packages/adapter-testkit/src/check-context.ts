import type { FactorizationOptions, FactorizedAdapter, Factors } from '@factorized/core';
import { initializeFactors, Matrix, resolveFactorizationOptions, SeededRandom } from '@factorized/core';

/** Input size of every layer the checks build. */
export const CHECK_INPUT_SIZE = 12;
/** Output size of every layer the checks build; min(CHECK_INPUT_SIZE, CHECK_OUTPUT_SIZE) = 7. */
export const CHECK_OUTPUT_SIZE = 7;
/** Rows of the inputs that the checks pass to `predict`. */
export const CHECK_BATCH_SIZE = 5;

/** One named conformance check. `run` resolves when the adapter passes and rejects with the reason otherwise. */
export interface ConformanceCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** Inputs of every check: the adapter, the tolerance, and the seed that all random inputs derive from. */
export interface CheckContext<Layer, Tensor> {
  adapter: FactorizedAdapter<Layer, Tensor>;
  tolerance: number;
  seed: number;
}

/**
 * Builds a CHECK_INPUT_SIZE × CHECK_OUTPUT_SIZE layer with `options`, runs `body` on it and
 * disposes the layer afterwards, also when `body` throws.
 */
export async function withLayer<Layer, Tensor, Result>(
  context: CheckContext<Layer, Tensor>,
  options: FactorizationOptions,
  body: (layer: Layer) => Promise<Result>,
): Promise<Result> {
  const { adapter } = context;
  const layer = await adapter.createLayer({ inputSize: CHECK_INPUT_SIZE, outputSize: CHECK_OUTPUT_SIZE, options });
  try {
    return await body(layer);
  } finally {
    await adapter.dispose?.(layer);
  }
}

/** Returns the factors that core's initializeFactors draws for `options`, with the adapter's default initializer. */
export function coreFactors<Layer, Tensor>(context: CheckContext<Layer, Tensor>, options: FactorizationOptions): Factors {
  const resolved = resolveFactorizationOptions(options, CHECK_INPUT_SIZE, CHECK_OUTPUT_SIZE, {
    kernelInitializer: context.adapter.defaultKernelInitializer,
  });
  return initializeFactors(resolved, CHECK_INPUT_SIZE, CHECK_OUTPUT_SIZE);
}

/** Draws a rows × columns matrix of standard normal entries from `random`. */
export function normalMatrix(random: SeededRandom, rows: number, columns: number): Matrix {
  const result = new Matrix(rows, columns);
  for (let index = 0; index < result.data.length; index++) {
    result.data[index] = random.nextNormal();
  }
  return result;
}

/**
 * Draws random factors U (9 × 4), V (4 × 6) and, for three factors, M (4 × 4) from a stream
 * seeded with `seed`, so every adapter is checked on the same inputs.
 */
export function randomFactors(seed: number, factorCount: 2 | 3): Factors {
  const random = new SeededRandom(seed);
  const left = normalMatrix(random, 9, 4);
  const right = normalMatrix(random, 4, 6);
  if (factorCount === 2) {
    return { left, right };
  }
  return { left, middle: normalMatrix(random, 4, 4), right };
}

/** Returns a copy of the factors, so an adapter that edits its arguments cannot change the reference. */
export function copyFactors(factors: Factors): Factors {
  const left = factors.left.clone();
  const right = factors.right.clone();
  return 'middle' in factors ? { left, middle: factors.middle.clone(), right } : { left, right };
}
