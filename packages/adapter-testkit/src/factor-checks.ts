import type { FactorizationOptions, Factors, RegularizerResult } from '@factorized/core';
import { collapse, frobeniusDecay, matMul, SeededRandom, weightDecay } from '@factorized/core';

import type { CheckContext, ConformanceCheck } from './check-context.js';
import {
  CHECK_BATCH_SIZE,
  CHECK_INPUT_SIZE,
  coreFactors,
  copyFactors,
  normalMatrix,
  randomFactors,
  withLayer,
} from './check-context.js';
import { ConformanceError, expectClose, expectCloseNumber, expectFactors, expectIdentical, expectMatrix } from './compare.js';

/** Layers whose factors must equal core's initializeFactors, with the adapter's default initializer where none is named. */
function initializationCases(seed: number): Record<'spectral' | 'standard' | 'default', FactorizationOptions[]> {
  return {
    spectral: [
      { rank: 3, seed, kernelInitializer: 'glorotUniform' },
      { rank: 3, factors: 3, seed: seed + 1, kernelInitializer: 'heNormal' },
      // round(0.5 · 7) = 4, halves to even.
      { rankScale: 0.5, seed: seed + 2, kernelInitializer: 'lecunNormal' },
    ],
    standard: [
      { rank: 3, initialization: 'standard', seed: seed + 3, kernelInitializer: 'glorotUniform' },
      // Overcomplete: rank 9 > min(12, 7).
      { rank: 9, factors: 3, overcomplete: true, initialization: 'standard', seed: seed + 4, kernelInitializer: 'heUniform' },
    ],
    default: [{ rank: 3, seed: seed + 5 }],
  };
}

/** Returns the checks that the adapter's layers start from core's factors for the same options and seed. */
export function initializationChecks<Layer, Tensor>(context: CheckContext<Layer, Tensor>): ConformanceCheck[] {
  const cases = initializationCases(context.seed);
  const check = (name: string, optionsList: FactorizationOptions[]): ConformanceCheck => ({
    name,
    run: async () => {
      for (const options of optionsList) {
        const expected = coreFactors(context, options);
        const actual = await withLayer(context, options, async (layer) => context.adapter.readFactors(layer));
        expectFactors(`factors of a layer with ${JSON.stringify(options)}`, actual, expected, context.tolerance);
      }
    },
  });

  return [
    check("spectral factors equal core's", cases.spectral),
    check("standard factors equal core's", cases.standard),
    check('default kernel initializer is the declared one', cases.default),
  ];
}

/**
 * Returns the checks that compare the adapter's Frobenius decay and weight decay with core's
 * float64 values and gradients, on random factors with two and three factors.
 */
export function regularizerChecks<Layer, Tensor>(context: CheckContext<Layer, Tensor>): ConformanceCheck[] {
  const { adapter } = context;
  const check = (
    name: string,
    label: string,
    coefficient: number,
    reference: (factors: Factors, coefficient: number) => RegularizerResult,
    compute: (factors: Factors, coefficient: number) => Promise<RegularizerResult> | RegularizerResult,
  ): ConformanceCheck => ({
    name,
    run: async () => {
      for (const factorCount of [2, 3] as const) {
        const factors = randomFactors(context.seed + factorCount, factorCount);
        const expected = reference(factors, coefficient);
        const actual = await compute(copyFactors(factors), coefficient);
        expectRegularizer(`${label} of ${factorCount} factors`, actual, expected, context.tolerance);
      }
    },
  });

  return [
    check("Frobenius decay value and gradients equal core's", 'Frobenius decay', 0.37, frobeniusDecay, (factors, coefficient) =>
      adapter.frobeniusDecay(factors, coefficient),
    ),
    check("weight decay value and gradients equal core's", 'weight decay', 0.21, weightDecay, (factors, coefficient) =>
      adapter.weightDecay(factors, coefficient),
    ),
  ];
}

function expectRegularizer(label: string, actual: unknown, expected: RegularizerResult, tolerance: number): void {
  if (typeof actual !== 'object' || actual === null) {
    throw new ConformanceError(`${label} must return { value, gradients }, got ${String(actual)}.`);
  }
  const result = actual as Partial<RegularizerResult>;
  expectCloseNumber(`${label}: value`, result.value, expected.value, tolerance);
  expectFactors(`${label}: gradients`, result.gradients, expected.gradients, tolerance);
}

/**
 * Returns the checks that the layer's collapsed kernel is the product of its factors, that the
 * layer computes x·W with it, and that a saved and loaded copy is bit-exact.
 */
export function layerChecks<Layer, Tensor>(context: CheckContext<Layer, Tensor>): ConformanceCheck[] {
  const { adapter, seed, tolerance } = context;
  const layerOptions: FactorizationOptions[] = [
    { rank: 3, seed: seed + 6 },
    { rank: 3, factors: 3, initialization: 'standard', seed: seed + 7 },
  ];

  return [
    {
      name: 'collapse equals the factor product',
      run: async () => {
        for (const options of layerOptions) {
          await withLayer(context, options, async (layer) => {
            const expected = collapse(await adapter.readFactors(layer));
            expectClose(`collapse of a layer with ${options.factors ?? 2} factors`, await adapter.collapse(layer), expected, tolerance);
          });
        }
      },
    },
    {
      name: 'predict computes x·W',
      run: async () => {
        const inputs = normalMatrix(new SeededRandom(seed + 8), CHECK_BATCH_SIZE, CHECK_INPUT_SIZE);
        for (const options of layerOptions) {
          await withLayer(context, options, async (layer) => {
            const expected = matMul(inputs, collapse(await adapter.readFactors(layer)));
            const actual = await adapter.predict(layer, inputs.clone());
            expectClose(`outputs of a layer with ${options.factors ?? 2} factors`, actual, expected, tolerance);
          });
        }
      },
    },
    {
      name: 'save and load is lossless',
      run: async () => {
        const inputs = normalMatrix(new SeededRandom(seed + 9), CHECK_BATCH_SIZE, CHECK_INPUT_SIZE);
        for (const options of layerOptions) {
          await withLayer(context, options, async (layer) => {
            const factors = await adapter.readFactors(layer);
            const outputs = expectMatrix('outputs of predict', await adapter.predict(layer, inputs.clone()));
            const restored = await adapter.saveAndLoad(layer);
            try {
              const label = `loaded layer with ${options.factors ?? 2} factors`;
              expectFactors(`factors of the ${label}`, await adapter.readFactors(restored), factors, 'exact');
              expectIdentical(`outputs of the ${label}`, await adapter.predict(restored, inputs.clone()), outputs);
            } finally {
              await adapter.dispose?.(restored);
            }
          });
        }
      },
    },
  ];
}
