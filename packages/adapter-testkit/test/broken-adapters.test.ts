import { describe, expect, it } from '@jest/globals';
import type { FactorizedAdapter, Factors, Matrix, TensorOps } from '@factorized/core';
import { collapse, formatValue, matMul, matrixOps, scale, UnsupportedError } from '@factorized/core';

import { conformanceChecks, createReferenceAdapter, INVALID_OPTION_CASES } from '../src/index.js';
import type { ReferenceLayer } from '../src/index.js';
import { failingChecks, failureMessage } from './helpers.js';

type Adapter = FactorizedAdapter<ReferenceLayer, Matrix>;

const SPECTRAL = "spectral factors equal core's";
const STANDARD = "standard factors equal core's";
const DEFAULT_INITIALIZER = 'default kernel initializer is the declared one';
const FROBENIUS = "Frobenius decay value and gradients equal core's";
const WEIGHT_DECAY = "weight decay value and gradients equal core's";
const COLLAPSE = 'collapse equals the factor product';
const PREDICT = 'predict computes x·W';
const SAVE_LOAD = 'save and load is lossless';
const MEMORY = 'frees every tensor it creates';
const TENSOR_OPS = "tensor ops equal core's matrixOps";

function withoutMiddle(factors: Factors): Factors {
  return { left: factors.left, right: factors.right };
}

/** Each broken adapter changes one member of the reference adapter in one way. */
const brokenAdapters: [string, () => Adapter, string[]][] = [
  [
    'Frobenius gradient off by 1 %',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        frobeniusDecay: async (factors, coefficient) => {
          const result = await reference.frobeniusDecay(factors, coefficient);
          return { ...result, gradients: { ...result.gradients, left: scale(result.gradients.left, 1.01) } };
        },
      };
    },
    [FROBENIUS],
  ],
  [
    'weight decay without the 1/2',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        weightDecay: async (factors, coefficient) => {
          const result = await reference.weightDecay(factors, coefficient);
          return { ...result, value: 2 * result.value };
        },
      };
    },
    [WEIGHT_DECAY],
  ],
  [
    'initialization with another seed',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        createLayer: ({ options, ...sizes }) =>
          reference.createLayer({ ...sizes, options: { ...options, seed: (options.seed ?? 0) + 1 } }),
      };
    },
    [SPECTRAL, STANDARD, DEFAULT_INITIALIZER],
  ],
  [
    'default initializer declared wrongly',
    () => ({ ...createReferenceAdapter(), defaultKernelInitializer: 'glorotNormal' }),
    [DEFAULT_INITIALIZER],
  ],
  [
    'collapse without the middle factor',
    () => {
      const reference = createReferenceAdapter();
      return { ...reference, collapse: (layer) => collapse(withoutMiddle(layer.factors)) };
    },
    [COLLAPSE],
  ],
  [
    'predict without the middle factor',
    () => {
      const reference = createReferenceAdapter();
      return { ...reference, predict: (layer, inputs) => matMul(inputs, collapse(withoutMiddle(layer.factors))) };
    },
    [PREDICT],
  ],
  [
    'save rounding to float32',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        saveAndLoad: async (layer) => {
          const loaded = await reference.saveAndLoad(layer);
          loaded.factors.left.data.set(loaded.factors.left.data.map(Math.fround));
          return loaded;
        },
      };
    },
    [SAVE_LOAD],
  ],
  [
    'rank 2.5 floored',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        createLayer: ({ options, ...sizes }) =>
          reference.createLayer({
            ...sizes,
            options: { ...options, rank: options.rank === undefined ? undefined : Math.floor(options.rank) },
          }),
      };
    },
    // The layer accepted in place of the error is never disposed, so the memory check fails too.
    ['rejects rank 2.5 (not an integer)', MEMORY],
  ],
  [
    'errors without option or value',
    () => {
      const reference = createReferenceAdapter();
      return {
        ...reference,
        createLayer: async (request) => {
          try {
            return await reference.createLayer(request);
          } catch {
            throw new Error('Invalid options.');
          }
        },
      };
    },
    INVALID_OPTION_CASES.map((testCase) => `rejects ${testCase.option} ${formatValue(testCase.value)} (${testCase.reason})`),
  ],
  [
    'predict leaking a tensor',
    () => {
      const reference = createReferenceAdapter();
      let leaked = 0;
      return {
        ...reference,
        predict: (layer, inputs) => {
          leaked += 1;
          return reference.predict(layer, inputs);
        },
        memory: () => (reference.memory?.() ?? 0) + leaked,
      };
    },
    [MEMORY],
  ],
  [
    'matMul ignoring transposeB',
    () => {
      const reference = createReferenceAdapter();
      const ops: TensorOps<Matrix> = {
        ...matrixOps,
        matMul: (a, b, transposeA) => matMul(a, b, { transposeA }),
      };
      return { ...reference, tensorOps: { ...reference.tensorOps!, ops } };
    },
    [TENSOR_OPS],
  ],
];

describe('conformance checks on broken adapters', () => {
  it.each(brokenAdapters)('%s fails its checks only', async (_name, create, expected) => {
    expect(await failingChecks(create())).toEqual(expected);
  });

  it('unimplemented adapter fails every check', async () => {
    const notImplemented = (): never => {
      throw new UnsupportedError('not implemented yet');
    };
    const skeleton: FactorizedAdapter<never> = {
      name: 'skeleton',
      precision: 'float32',
      defaultKernelInitializer: 'glorotUniform',
      createLayer: notImplemented,
      readFactors: notImplemented,
      collapse: notImplemented,
      predict: notImplemented,
      frobeniusDecay: notImplemented,
      weightDecay: notImplemented,
      saveAndLoad: notImplemented,
    };

    const everyCheck = conformanceChecks(skeleton).map((check) => check.name);

    expect(await failingChecks(skeleton)).toEqual(everyCheck);
  });

  it('unimplemented adapter names the gap', async () => {
    const skeleton: FactorizedAdapter<never> = {
      ...createReferenceAdapter(),
      createLayer: () => {
        throw new UnsupportedError('createLayer is not implemented yet');
      },
    } as unknown as FactorizedAdapter<never>;

    expect(await failureMessage(skeleton, SPECTRAL)).toContain('UnsupportedError: createLayer is not implemented yet');
  });
});

describe('conformance failure messages', () => {
  it('name the adapter and check', async () => {
    const reference = createReferenceAdapter();
    const adapter: Adapter = { ...reference, collapse: (layer) => collapse(withoutMiddle(layer.factors)) };

    expect(await failureMessage(adapter, COLLAPSE)).toMatch(/^reference failed "collapse equals the factor product": /);
  });

  it('show the largest difference', async () => {
    const reference = createReferenceAdapter();
    const adapter: Adapter = {
      ...reference,
      frobeniusDecay: async (factors, coefficient) => {
        const result = await reference.frobeniusDecay(factors, coefficient);
        return { ...result, gradients: { ...result.gradients, right: scale(result.gradients.right, 2) } };
      },
    };

    expect(await failureMessage(adapter, FROBENIUS)).toMatch(
      /Frobenius decay of 2 factors: gradients\.right differs from core's: max \|actual − expected\| = \S+ at row \d+, column \d+/,
    );
  });

  it('show an accepted invalid option', async () => {
    const reference = createReferenceAdapter();
    const adapter: Adapter = {
      ...reference,
      createLayer: ({ options, ...sizes }) =>
        reference.createLayer({ ...sizes, options: { ...options, frobeniusDecay: undefined } }),
    };

    expect(await failureMessage(adapter, 'rejects frobeniusDecay -0.5 (negative)')).toContain(
      'createLayer accepted frobeniusDecay -0.5 (negative)',
    );
  });

  it('quote a vague error message', async () => {
    const reference = createReferenceAdapter();
    const adapter: Adapter = {
      ...reference,
      createLayer: () => {
        throw new Error('bad rank');
      },
    };

    expect(await failureMessage(adapter, 'rejects rank 2.5 (not an integer)')).toContain(
      'its message "bad rank" does not show the value 2.5',
    );
  });
});
