import type { AdapterTensorOps, Matrix } from '@factorized/core';
import {
  formatValue,
  frobeniusDecay,
  frobeniusDecayPenalty,
  matrixOps,
  SeededRandom,
  weightDecay,
  weightDecayPenalty,
} from '@factorized/core';

import type { CheckContext, ConformanceCheck } from './check-context.js';
import {
  CHECK_BATCH_SIZE,
  CHECK_INPUT_SIZE,
  CHECK_OUTPUT_SIZE,
  normalMatrix,
  randomFactors,
  withLayer,
} from './check-context.js';
import { ConformanceError, expectClose, expectCloseNumber } from './compare.js';
import { describeMissingDetails, INVALID_OPTION_CASES } from './invalid-options.js';

/**
 * Returns one check per case of INVALID_OPTION_CASES: building a layer with the invalid option
 * must throw an Error whose message names the option and shows the value.
 */
export function invalidOptionChecks<Layer, Tensor>(context: CheckContext<Layer, Tensor>): ConformanceCheck[] {
  const { adapter } = context;

  return INVALID_OPTION_CASES.map((testCase) => ({
    name: `rejects ${testCase.option} ${formatValue(testCase.value)} (${testCase.reason})`,
    run: async () => {
      let layer: Layer;
      try {
        layer = await adapter.createLayer({
          inputSize: CHECK_INPUT_SIZE,
          outputSize: CHECK_OUTPUT_SIZE,
          options: testCase.options,
        });
      } catch (error) {
        const missing = describeMissingDetails(error, testCase);
        if (missing !== null) {
          throw new ConformanceError(`createLayer rejected ${JSON.stringify(testCase.options)}, but ${missing}.`, {
            cause: error,
          });
        }
        return;
      }

      await adapter.dispose?.(layer);
      throw new ConformanceError(
        `createLayer accepted ${testCase.option} ${formatValue(testCase.value)} (${testCase.reason}); ` +
          'it must throw an error that names the option and shows the value.',
      );
    },
  }));
}

/**
 * Returns the check, by the adapter's `memory()` count, that no member leaves tensors behind.
 * Reads, collapse, predict, both regularizers and rejected options must leave the count
 * unchanged, and disposing a loaded copy and the layer itself must restore it.
 */
export function memoryCheck<Layer, Tensor>(context: CheckContext<Layer, Tensor>, memory: () => number): ConformanceCheck {
  const { adapter, seed } = context;

  const expectUnchanged = async (subject: string, action: () => Promise<unknown>): Promise<void> => {
    const before = memory();
    await action();
    const after = memory();
    if (after !== before) {
      throw new ConformanceError(`${subject} changed the live tensor count from ${before} to ${after}.`);
    }
  };

  return {
    name: 'frees every tensor it creates',
    run: async () => {
      const inputs = normalMatrix(new SeededRandom(seed + 10), CHECK_BATCH_SIZE, CHECK_INPUT_SIZE);
      const factors = randomFactors(seed + 11, 3);

      await expectUnchanged('createLayer with an invalid rank', async () => {
        try {
          await adapter.createLayer({ inputSize: CHECK_INPUT_SIZE, outputSize: CHECK_OUTPUT_SIZE, options: { rank: 2.5 } });
        } catch {
          // The rejection itself is checked by 'rejects rank 2.5'; here only the count matters.
        }
      });
      await expectUnchanged('frobeniusDecay', async () => adapter.frobeniusDecay(factors, 0.37));
      await expectUnchanged('weightDecay', async () => adapter.weightDecay(factors, 0.21));

      const beforeLayer = memory();
      await withLayer(context, { rank: 3, factors: 3, seed: seed + 12 }, async (layer) => {
        await expectUnchanged('readFactors', async () => adapter.readFactors(layer));
        await expectUnchanged('collapse', async () => adapter.collapse(layer));
        await expectUnchanged('predict', async () => adapter.predict(layer, inputs.clone()));

        if (adapter.dispose !== undefined) {
          const dispose = adapter.dispose.bind(adapter);
          await expectUnchanged('saveAndLoad followed by dispose of the loaded copy', async () =>
            dispose(await adapter.saveAndLoad(layer)),
          );
        }
      });

      if (adapter.dispose !== undefined && memory() !== beforeLayer) {
        throw new ConformanceError(
          `createLayer followed by dispose changed the live tensor count from ${beforeLayer} to ${memory()}.`,
        );
      }
    },
  };
}

/**
 * Returns the check that compares the adapter's TensorOps with core's matrixOps op by op (matMul
 * with every combination of transposes, add, mul, sum, scale) and runs core's regularizer
 * formulas through them.
 */
export function tensorOpsCheck<Layer, Tensor>(
  context: CheckContext<Layer, Tensor>,
  tensorOps: AdapterTensorOps<Tensor>,
): ConformanceCheck {
  const { seed, tolerance } = context;
  const { ops } = tensorOps;

  return {
    name: "tensor ops equal core's matrixOps",
    run: async () => {
      const random = new SeededRandom(seed + 13);
      const a = normalMatrix(random, 4, 3);
      const other = normalMatrix(random, 4, 3);
      const b = normalMatrix(random, 3, 5);
      const created: Tensor[] = [];
      const tensor = (matrix: Matrix): Tensor => {
        const result = tensorOps.fromMatrix(matrix.clone());
        created.push(result);
        return result;
      };
      const compare = async (subject: string, actual: Tensor, expected: Matrix): Promise<void> => {
        created.push(actual);
        expectClose(subject, await tensorOps.toMatrix(actual), expected, tolerance);
      };

      try {
        const aTransposed = a.transpose();
        const bTransposed = b.transpose();
        for (const [transposeA, transposeB] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          const left = tensor(transposeA ? aTransposed : a);
          const right = tensor(transposeB ? bTransposed : b);
          await compare(
            `matMul with transposeA ${transposeA}, transposeB ${transposeB}`,
            ops.matMul(left, right, transposeA, transposeB),
            matrixOps.matMul(a, b, false, false),
          );
        }

        await compare('add', ops.add(tensor(a), tensor(other)), matrixOps.add(a, other));
        await compare('mul', ops.mul(tensor(a), tensor(other)), matrixOps.mul(a, other));
        await compare('sum', ops.sum(tensor(a)), matrixOps.sum(a));
        await compare('scale', ops.scale(tensor(a), -1.75), matrixOps.scale(a, -1.75));

        for (const factorCount of [2, 3] as const) {
          const factors = randomFactors(seed + 14 + factorCount, factorCount);
          const tensors = {
            left: tensor(factors.left),
            middle: 'middle' in factors ? tensor(factors.middle) : undefined,
            right: tensor(factors.right),
          };
          const frobenius = frobeniusDecayPenalty(ops, tensors, 0.37);
          created.push(frobenius);
          expectCloseNumber(
            `frobeniusDecayPenalty through the tensor ops, ${factorCount} factors`,
            (await tensorOps.toMatrix(frobenius)).data[0],
            frobeniusDecay(factors, 0.37).value,
            tolerance,
          );
          const weight = weightDecayPenalty(ops, tensors, 0.21);
          created.push(weight);
          expectCloseNumber(
            `weightDecayPenalty through the tensor ops, ${factorCount} factors`,
            (await tensorOps.toMatrix(weight)).data[0],
            weightDecay(factors, 0.21).value,
            tolerance,
          );
        }
      } finally {
        for (const value of created) {
          tensorOps.dispose?.(value);
        }
      }
    },
  };
}
