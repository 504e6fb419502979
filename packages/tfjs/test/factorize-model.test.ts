import * as tf from '@tensorflow/tfjs';
import {
  fullSvd,
  InvalidArgumentError,
  matricizeConvKernel,
  Matrix,
  NonFiniteValueError,
  ranksForParameterRatio,
  UnsupportedError,
} from '@factorized/core';
import type { FactorizeModelOptions, FactorizeProgress, FactorizeReport } from '../src/index.js';
import { FactorizedConv2D, FactorizedDense, factorizeModel, frobeniusDecayLoss } from '../src/index.js';
import { describeEachBackend, expectClose, randomTensor } from './helpers.js';
import {
  branchedInputs,
  branchedModel,
  predictAll,
  seeded,
  trainedCnn,
  trainedMlp,
} from './model-fixtures.js';

/** Tolerance of prediction comparisons at full rank: float32 rounding through a few layers. */
const PREDICTION_TOLERANCE = 1e-4;

/** Returns every Dense and Conv2D layer of `model` by path, nested models included. */
function kernelLayers(model: tf.LayersModel, prefix = ''): Map<string, tf.layers.Layer> {
  const found = new Map<string, tf.layers.Layer>();
  for (const layer of model.layers) {
    const path = prefix === '' ? layer.name : `${prefix}/${layer.name}`;
    if (layer instanceof tf.LayersModel) {
      kernelLayers(layer, path).forEach((inner, innerPath) => found.set(innerPath, inner));
    } else if (layer.getClassName() === 'Dense' || layer.getClassName() === 'Conv2D') {
      found.set(path, layer);
    }
  }
  return found;
}

/** Ranks equal to min(rows, columns) of every kernel matrix ('paper' scheme for convs). */
function fullRanks(model: tf.LayersModel): Record<string, number> {
  const ranks: Record<string, number> = {};
  kernelLayers(model).forEach((layer, path) => {
    const shape = layer.weights[0].shape as number[];
    ranks[path] =
      shape.length === 2 ? Math.min(shape[0], shape[1]) : Math.min(shape[2] * shape[1], shape[3] * shape[0]);
  });
  return ranks;
}

/** Returns the trained kernel of a Dense or Conv2D layer as the matrix factorizeModel factorizes ('paper'). */
function kernelMatrixOf(layer: tf.layers.Layer): Matrix {
  const kernel = layer.weights[0];
  const shape = kernel.shape as number[];
  const values = kernel.read().dataSync() as Float32Array;
  return shape.length === 2
    ? Matrix.from(shape[0], shape[1], values)
    : matricizeConvKernel(values, shape as [number, number, number, number], 'paper');
}

/** Computes the Eckart–Young optimum (Σ_{i>r} σ_i²)^½ / ‖W‖_F, from the exact SVD. */
function optimalRelativeError(kernel: Matrix, rank: number): number {
  const { singularValues } = fullSvd(kernel);
  let total = 0;
  let dropped = 0;
  singularValues.forEach((value, index) => {
    total += value * value;
    if (index >= rank) {
      dropped += value * value;
    }
  });
  return Math.sqrt(dropped / total);
}

/**
 * Expects each factorized layer's error to be the truncated-SVD optimum. Rounding U and V to
 * float32 moves U·V by at most 2^-24·(‖U‖_F·‖V‖_F)·2 = 2^-23·Σ_{i≤r} σ_i ≤ 2^-23·√r·‖W‖_F.
 */
function expectOptimalErrors(model: tf.LayersModel, report: FactorizeReport): void {
  const layers = kernelLayers(model);
  for (const entry of report.factorized) {
    const optimum = optimalRelativeError(kernelMatrixOf(layers.get(entry.layer) as tf.layers.Layer), entry.rank);
    expect(Math.abs(entry.relativeError - optimum)).toBeLessThanOrEqual(2 * 2 ** -23 * Math.sqrt(entry.rank));
  }
}

function expectSamePredictions(actual: tf.LayersModel, expected: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[]): void {
  const expectedOutputs = predictAll(expected, inputs);
  const actualOutputs = predictAll(actual, inputs);
  expect(actualOutputs).toHaveLength(expectedOutputs.length);
  actualOutputs.forEach((output, index) => expectClose(output, expectedOutputs[index], PREDICTION_TOLERANCE));
  tf.dispose([...expectedOutputs, ...actualOutputs]);
}

/** Returns the inbound connections of each layer and the model's inputs and outputs, as getConfig lists them. */
function topology(model: tf.LayersModel): unknown {
  const config = model.getConfig() as { layers: { name: string; className: string; inboundNodes: unknown }[] };
  return {
    layers: config.layers.map(({ name, inboundNodes }) => ({ name, inboundNodes })),
    inputLayers: model.getConfig().inputLayers,
    outputLayers: model.getConfig().outputLayers,
  };
}

describeEachBackend('factorizeModel', () => {
  let mlp: tf.Sequential;
  let cnn: tf.Sequential;

  beforeAll(async () => {
    mlp = await trainedMlp();
    cnn = await trainedCnn();
  });

  afterAll(() => {
    mlp.dispose();
    cnn.dispose();
  });

  it('keeps MLP predictions at full rank', async () => {
    const { model } = await factorizeModel(mlp, { ranks: fullRanks(mlp) });
    const input = randomTensor(30, [5, 8]);
    expectSamePredictions(model, mlp, input);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(Array(3).fill(FactorizedDense.className));
    tf.dispose(input);
    model.dispose();
  });

  it('keeps CNN predictions at full rank', async () => {
    const { model } = await factorizeModel(cnn, { ranks: fullRanks(cnn) });
    const input = randomTensor(31, [3, 8, 8, 2]);
    expectSamePredictions(model, cnn, input);
    expect(model.getLayer('conv2')).toBeInstanceOf(FactorizedConv2D);
    tf.dispose(input);
    model.dispose();
  });

  it('keeps CNN predictions with pointwise factors', async () => {
    const ranks = { conv1: 4, conv2: 6, dense: 5, output: 1 };
    const { model } = await factorizeModel(cnn, { ranks, scheme: 'pointwise', factors: 3 });
    const input = randomTensor(32, [3, 8, 8, 2]);
    expectSamePredictions(model, cnn, input);
    expect((model.getLayer('conv1') as FactorizedConv2D).scheme).toBe('pointwise');
    tf.dispose(input);
    model.dispose();
  });

  it('warns about ranks at break-even', async () => {
    const { report, model } = await factorizeModel(mlp, { ranks: fullRanks(mlp) });
    expect(report.warnings.map((warning) => warning.layer)).toEqual(['hidden1', 'hidden2', 'output']);
    expect(report.warnings[0].message).toMatch(/rank 8 .* break-even rank 5\.33/);
    model.dispose();
  });

  it('reaches the SVD optimum by default', async () => {
    const { model, report } = await factorizeModel(mlp);
    expect(report.factorized.map((entry) => [entry.layer, entry.rank])).toEqual([
      ['hidden1', 2],
      ['hidden2', 3],
    ]);
    expectOptimalErrors(mlp, report);
    model.dispose();
  });

  it('reaches the SVD optimum on convs', async () => {
    const { model, report } = await factorizeModel(cnn);
    expect(report.factorized.map((entry) => [entry.layer, entry.rank])).toEqual([
      ['conv1', 2],
      ['conv2', 3],
      ['dense', 1],
    ]);
    expectOptimalErrors(cnn, report);
    model.dispose();
  });

  it('reports skipped layers with reasons', async () => {
    const { model, report } = await factorizeModel(cnn);
    expect(report.skipped.map((entry) => [entry.layer, entry.reason])).toEqual([
      ['pool', 'unsupported-type'],
      ['flatten', 'unsupported-type'],
      ['output', 'break-even'],
    ]);
    expect(report.skipped[2].detail).toContain('break-even rank 0.83 of its 5×1 kernel matrix');
    model.dispose();
  });

  it('reports parameter counts', async () => {
    const { model, report } = await factorizeModel(mlp);
    expect(report.factorized[0].parametersBefore).toBe(8 * 16 + 16);
    expect(report.factorized[0].parametersAfter).toBe(2 * (8 + 16) + 16);
    expect(report.parametersBefore).toBe(mlp.countParams());
    expect(report.parametersAfter).toBe(model.countParams());
    expect(report.parameterRatio).toBeCloseTo(model.countParams() / mlp.countParams(), 12);
    model.dispose();
  });

  it('keeps a branched topology', async () => {
    const original = branchedModel();
    const { model, report } = await factorizeModel(original, { rankScale: 0.5 });
    expect(report.factorized.length).toBeGreaterThan(0);
    expect(topology(model)).toEqual(topology(original));
    const factorizedPaths = new Set(report.factorized.map((entry) => entry.layer));
    model.layers.forEach((layer, index) => {
      const expected = factorizedPaths.has(layer.name)
        ? FactorizedDense.className
        : original.layers[index].getClassName();
      expect(layer.getClassName()).toBe(expected);
    });
    original.dispose();
    model.dispose();
  });

  it('keeps branched predictions at full rank', async () => {
    const original = branchedModel();
    const { model } = await factorizeModel(original, { ranks: fullRanks(original) });
    const inputs = branchedInputs(33);
    expectSamePredictions(model, original, inputs);
    tf.dispose(inputs);
    original.dispose();
    model.dispose();
  });

  it('factorizes layers of nested models', async () => {
    const original = branchedModel();
    const { model, report } = await factorizeModel(original, { layers: ['encoder'], rankScale: 0.5 });
    expect(report.factorized.map((entry) => entry.layer)).toEqual(['encoder/enc1', 'encoder/enc2']);
    const encoder = model.getLayer('encoder') as tf.LayersModel;
    expect(encoder.layers.map((layer) => layer.getClassName())).toEqual([
      FactorizedDense.className,
      FactorizedDense.className,
    ]);
    expect(model.getLayer('left').getClassName()).toBe('Dense');
    original.dispose();
    model.dispose();
  });

  it('factorizes a model nested in a Sequential', async () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.dense({ units: 6, inputShape: [5], kernelInitializer: seeded(40), name: 'innerDense' })],
    });
    const outer = tf.sequential({
      layers: [inner, tf.layers.dense({ units: 4, kernelInitializer: seeded(41), name: 'outerDense' })],
    });
    const { model, report } = await factorizeModel(outer, { ranks: { innerDense: 5, outerDense: 4 } });
    expect(report.factorized.map((entry) => entry.layer)).toEqual(['inner/innerDense', 'outerDense']);
    const input = randomTensor(34, [3, 5]);
    expectSamePredictions(model, outer, input);
    tf.dispose(input);
    outer.dispose();
    model.dispose();
  });

  it('leaves the original model unchanged', async () => {
    const before = mlp.getWeights().map((weight) => Array.from(weight.dataSync()));
    const { model } = await factorizeModel(mlp);
    model.dispose();
    expect(mlp.getWeights().map((weight) => Array.from(weight.dataSync()))).toEqual(before);
  });

  it('leaks no tensors', async () => {
    const start = tf.memory().numTensors;
    const { model } = await factorizeModel(cnn, { parameterRatio: 0.5, allocation: 'energy' });
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('factorizeModel rank rules', () => {
  let mlp: tf.Sequential;
  let cnn: tf.Sequential;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    mlp = await trainedMlp();
    cnn = await trainedCnn();
  });

  afterAll(() => {
    mlp.dispose();
    cnn.dispose();
  });

  it('allocates a uniform parameter ratio', async () => {
    const { model, report } = await factorizeModel(cnn, { parameterRatio: 0.6 });
    const shapes = report.factorized.map(({ layer, rows, columns }) => ({ layer, rows, columns }));
    const others = cnn.countParams() - [...kernelLayers(cnn).values()].reduce((sum, layer) => sum + layer.countParams(), 0);
    const expected = ranksForParameterRatio(
      [...kernelLayers(cnn)].map(([path, layer], index) => {
        const matrix = kernelMatrixOf(layer);
        return {
          name: path,
          rows: matrix.rows,
          columns: matrix.columns,
          bias: layer.weights[1].shape[0] as number,
          fixedParameters: index === 0 ? others : 0,
        };
      }),
      0.6,
    );
    expect(shapes.length).toBeGreaterThan(0);
    report.factorized.forEach((entry) => expect(entry.rank).toBe(expected.ranks[entry.layer]));
    expect(report.parameterRatio).toBeLessThanOrEqual(0.6);
    model.dispose();
  });

  it('allocates a ratio by energy', async () => {
    const { model, report } = await factorizeModel(cnn, { parameterRatio: 0.6, allocation: 'energy' });
    expect(report.parameterRatio).toBeLessThanOrEqual(0.6);
    expect(report.factorized.length).toBeGreaterThan(0);
    expectOptimalErrors(cnn, report);
    model.dispose();
  });

  it('keeps fixed ranks within a ratio', async () => {
    const { model, report } = await factorizeModel(mlp, { parameterRatio: 0.8, ranks: { hidden1: 1 } });
    expect(report.factorized.find((entry) => entry.layer === 'hidden1')?.rank).toBe(1);
    expect(report.parameterRatio).toBeLessThanOrEqual(0.8);
    model.dispose();
  });

  it('factorizes only ranked layers', async () => {
    const { model, report } = await factorizeModel(mlp, { ranks: { hidden2: 2 } });
    expect(report.factorized.map((entry) => entry.layer)).toEqual(['hidden2']);
    expect(report.skipped.map((entry) => [entry.layer, entry.reason])).toEqual([
      ['hidden1', 'not-selected'],
      ['output', 'not-selected'],
    ]);
    model.dispose();
  });

  it('selects layers by predicate', async () => {
    const { model, report } = await factorizeModel(cnn, {
      layers: (layer) => layer.getClassName() === 'Conv2D',
    });
    expect(report.factorized.map((entry) => entry.layer)).toEqual(['conv1', 'conv2']);
    expect(report.skipped.find((entry) => entry.layer === 'dense')?.reason).toBe('not-selected');
    model.dispose();
  });

  it('uses three factors', async () => {
    const { model, report } = await factorizeModel(mlp, { factors: 3 });
    const layer = model.getLayer('hidden1') as FactorizedDense;
    expect(layer.factorWeights?.middle?.shape).toEqual([2, 2]);
    expect(report.factorized[0].parametersAfter).toBe(2 * (8 + 16) + 4 + 16);
    expectOptimalErrors(mlp, report);
    model.dispose();
  });

  it('reports progress after yielding', async () => {
    const seen: FactorizeProgress[] = [];
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 0);
    const { model } = await factorizeModel(mlp, {
      parameterRatio: 0.7,
      allocation: 'energy',
      onProgress: (progress) => {
        expect(timerFired).toBe(true);
        seen.push(progress);
      },
    });
    expect(seen.map((progress) => progress.stage)).toEqual(['spectrum', 'spectrum', 'spectrum', 'factorize', 'factorize']);
    expect(seen.map((progress) => `${progress.index}/${progress.total}`)).toEqual(['0/3', '1/3', '2/3', '0/2', '1/2']);
    model.dispose();
  });
});

describe('factorizeModel regularization', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('constructs layers with frobeniusDecay', async () => {
    const mlp = await trainedMlp();
    const { model } = await factorizeModel(mlp, { frobeniusDecay: 1e-3, weightDecay: 2e-3 });
    const layer = model.getLayer('hidden1') as FactorizedDense;
    expect(layer.factorization?.frobeniusDecay).toBe(1e-3);
    expect(layer.factorization?.weightDecay).toBe(2e-3);
    // The losses model.fit adds: Frobenius and weight decay of hidden1 and hidden2.
    const losses = model.calculateLosses();
    expect(losses).toHaveLength(4);
    tf.dispose(losses);
    mlp.dispose();
    model.dispose();
  });

  it('turns an L2 kernel regularizer into Frobenius decay', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 6,
          inputShape: [5],
          kernelInitializer: seeded(50),
          kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }),
          name: 'regularized',
        }),
      ],
    });
    const { model, report } = await factorizeModel(original, { ranks: { regularized: 5 } });
    expect(report.factorized[0].frobeniusDecay).toBe(0.02);

    const kernel = original.getLayer('regularized').getWeights()[0];
    const expected = tf.mul(0.01, tf.sum(tf.square(kernel)));
    const penalty = frobeniusDecayLoss(model);
    expectClose(penalty, expected, 1e-5);
    tf.dispose([expected, penalty]);
    original.dispose();
    model.dispose();
  });

  it('warns when frobeniusDecay replaces an L2 regularizer', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [5], kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }), name: 'l2' }),
      ],
    });
    const { model, report } = await factorizeModel(original, { ranks: { l2: 2 }, frobeniusDecay: 0.5 });
    expect(report.factorized[0].frobeniusDecay).toBe(0.5);
    expect(report.warnings[0].message).toContain('frobeniusDecay 0.02');
    original.dispose();
    model.dispose();
  });

  it('skips a layer with a kernel constraint', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, inputShape: [16], kernelConstraint: tf.constraints.maxNorm({}), name: 'bounded' }),
        tf.layers.dense({ units: 16, name: 'free' }),
      ],
    });
    const { model, report } = await factorizeModel(original);
    expect(report.skipped.map((entry) => [entry.layer, entry.reason])).toEqual([['bounded', 'unsupported-config']]);
    expect(report.factorized.map((entry) => entry.layer)).toEqual(['free']);
    original.dispose();
    model.dispose();
  });

  it('rejects a named layer with an L1 regularizer', async () => {
    const original = tf.sequential({
      layers: [tf.layers.dense({ units: 8, inputShape: [8], kernelRegularizer: 'l1l2', name: 'sparse' })],
    });
    await expect(factorizeModel(original, { layers: ['sparse'] })).rejects.toThrow(UnsupportedError);
    await expect(factorizeModel(original, { layers: ['sparse'] })).rejects.toThrow(/sparse.*L1 term/);
    original.dispose();
  });
});

class ScaleLayer extends tf.layers.Layer {
  static readonly className = 'factorizeModelTest.Scale';

  override build(): void {
    this.addWeight('scale', [1], 'float32', tf.initializers.constant({ value: 3 }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.weights[0].read()));
  }
}
tf.serialization.registerClass(ScaleLayer);

describe('factorizeModel custom layers', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('copies a registered custom layer', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [8], kernelInitializer: seeded(60), name: 'before' }),
        new ScaleLayer({ name: 'scale' }),
      ],
    });
    original.getLayer('scale').setWeights([tf.tensor([2.5])]);
    const { model, report } = await factorizeModel(original, { ranks: { before: 8 } });
    expect(model.getLayer('scale')).toBeInstanceOf(ScaleLayer);
    expect(Array.from(model.getLayer('scale').getWeights()[0].dataSync())).toEqual([2.5]);
    expect(report.skipped).toEqual([
      {
        layer: 'scale',
        className: ScaleLayer.className,
        reason: 'unsupported-type',
        detail: 'only Dense and Conv2D layers are factorized',
      },
    ]);
    const input = randomTensor(61, [2, 8]);
    expectSamePredictions(model, original, input);
    tf.dispose(input);
    original.dispose();
    model.dispose();
  });
});

describe('factorizeModel errors', () => {
  let mlp: tf.Sequential;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    mlp = await trainedMlp();
  });

  afterAll(() => {
    mlp.dispose();
  });

  async function expectInvalid(options: FactorizeModelOptions, argument: string, expectedText: string): Promise<void> {
    const error: unknown = await factorizeModel(mlp, options).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as InvalidArgumentError).message).toContain(expectedText);
  }

  it('rejects a non-model', async () => {
    await expect(factorizeModel({} as tf.LayersModel)).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects an unknown option', () => expectInvalid({ rank: 2 } as FactorizeModelOptions, 'option name', '"rank"'));
  it('rejects rankScale 0', () => expectInvalid({ rankScale: 0 }, 'rankScale', 'got 0'));
  it('rejects rankScale 1.5', () => expectInvalid({ rankScale: 1.5 }, 'rankScale', 'got 1.5'));
  it('rejects rankScale with parameterRatio', () =>
    expectInvalid({ rankScale: 0.5, parameterRatio: 0.5 }, 'rankScale', 'together with parameterRatio'));
  it('rejects parameterRatio 0', () => expectInvalid({ parameterRatio: 0 }, 'parameterRatio', 'got 0'));
  it('rejects an unreachable parameterRatio', () =>
    expectInvalid({ parameterRatio: 0.01 }, 'parameterRatio', 'the smallest model'));
  it('rejects allocation without ratio', () => expectInvalid({ allocation: 'energy' }, 'allocation', '"energy"'));
  it('rejects an unknown allocation', () =>
    expectInvalid({ parameterRatio: 0.5, allocation: 'greedy' as 'energy' }, 'allocation', '"greedy"'));
  it('rejects factors 4', () => expectInvalid({ factors: 4 as 3 }, 'factors', 'got 4'));
  it('rejects an unknown scheme', () => expectInvalid({ scheme: 'tucker' as 'paper' }, 'scheme', '"tucker"'));
  it('rejects negative frobeniusDecay', () => expectInvalid({ frobeniusDecay: -1 }, 'frobeniusDecay', 'got -1'));
  it('rejects NaN weightDecay', () => expectInvalid({ weightDecay: NaN }, 'weightDecay', 'got NaN'));
  it('rejects a bad svd option', () =>
    expectInvalid({ svd: { method: 'lanczos' as 'exact' } }, 'svd.method', '"lanczos"'));
  it('rejects an onProgress string', () =>
    expectInvalid({ onProgress: 'log' as unknown as () => void }, 'onProgress', '"log"'));
  it('rejects an empty layers list', () => expectInvalid({ layers: [] }, 'layers', 'got []'));
  it('rejects rank 2.5', () => expectInvalid({ ranks: { hidden1: 2.5 } }, 'ranks.hidden1', 'got 2.5'));
  it('rejects a rank above min', () => expectInvalid({ ranks: { hidden1: 9 } }, 'ranks.hidden1', '[1, 8]'));

  it('lists layer names for an unknown rank key', () =>
    expectInvalid({ ranks: { hidden3: 2 } }, 'ranks', "'hidden1', 'hidden2', 'output'"));

  it('lists layer names for an unknown layer', () =>
    expectInvalid({ layers: ['hidden1', 'dense9'] }, 'layers[1]', "'hidden1', 'hidden2', 'output'"));

  it('rejects a rank for an unselected layer', () =>
    expectInvalid({ layers: ['hidden1'], ranks: { hidden2: 2 } }, 'ranks', '"hidden2"'));

  it('rejects a layer of another class', async () => {
    const cnn = await trainedCnn();
    await expect(factorizeModel(cnn, { layers: ['flatten'] })).rejects.toThrow(/Flatten/);
    cnn.dispose();
  });

  it('rejects a predicate returning a number', () =>
    expectInvalid({ layers: () => 1 as unknown as boolean }, 'layers', 'got 1'));

  it('rejects NaN weights before any SVD', async () => {
    const model = await trainedMlp();
    const [kernel, bias] = model.getLayer('hidden2').getWeights();
    const values = kernel.arraySync() as number[][];
    values[3][5] = NaN;
    const poisoned = tf.tensor(values);
    model.getLayer('hidden2').setWeights([poisoned, bias]);
    const onProgress = jest.fn();

    const result = factorizeModel(model, { onProgress });
    await expect(result).rejects.toThrow(NonFiniteValueError);
    await expect(result).rejects.toThrow(/hidden2\/kernel of layer hidden2 contains NaN at flat index 41/);
    expect(onProgress).not.toHaveBeenCalled();
    tf.dispose(poisoned);
    model.dispose();
  });
});
