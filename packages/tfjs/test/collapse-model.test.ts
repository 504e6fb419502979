import * as tf from '@tensorflow/tfjs';
import { collapse, InvalidArgumentError, NonFiniteValueError, UnsupportedError } from '@factorized/core';
import type { FactorizedConv2DArgs } from '../src/index.js';
import { collapseModel, FactorizedDense, factorizedConv2d, factorizedDense, factorizeModel } from '../src/index.js';
import { describeEachBackend, expectClose, FLOAT32_TOLERANCE, randomTensor, toMatrix } from './helpers.js';
import { branchedInputs, branchedModel, predictAll, trainedCnn } from './model-fixtures.js';

/** Builds a Sequential model of factorized layers: two dense layers, one with U·M·V and an overcomplete rank. */
function factorizedMlp(): tf.Sequential {
  return tf.sequential({
    layers: [
      factorizedDense({ units: 7, rank: 3, seed: 1, inputShape: [6], activation: 'relu', name: 'first' }),
      factorizedDense({
        units: 4,
        rank: 9,
        overcomplete: true,
        initialization: 'standard',
        factors: 3,
        seed: 2,
        biasInitializer: 'randomNormal',
        name: 'second',
      }),
    ],
  });
}

/** Builds a Sequential model with one FactorizedConv2D of the given options on 9 × 9 × 3 inputs (channels last). */
function factorizedConvModel(args: Partial<FactorizedConv2DArgs>): tf.Sequential {
  return tf.sequential({
    layers: [
      factorizedConv2d({
        filters: 4,
        kernelSize: [3, 2],
        rank: 2,
        seed: 3,
        inputShape: args.dataFormat === 'channelsFirst' ? [3, 9, 9] : [9, 9, 3],
        biasInitializer: 'randomNormal',
        name: 'conv',
        ...args,
      }),
    ],
  });
}

/** Expects the collapsed model to predict what the factorized one predicts, to float32 rounding. */
function expectSamePredictions(collapsed: tf.LayersModel, factorized: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[]): void {
  const expected = predictAll(factorized, inputs);
  const actual = predictAll(collapsed, inputs);
  actual.forEach((output, index) => expectClose(output, expected[index], FLOAT32_TOLERANCE));
  tf.dispose([...expected, ...actual]);
}

/** Collects every class_name in a saved topology, nested models and serialized initializers included. */
function classNamesIn(topology: unknown): string[] {
  if (Array.isArray(topology)) {
    return topology.flatMap(classNamesIn);
  }
  if (typeof topology !== 'object' || topology === null) {
    return [];
  }
  return Object.entries(topology).flatMap(([key, value]) =>
    key === 'class_name' && typeof value === 'string' ? [value] : classNamesIn(value),
  );
}

async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  return saved as tf.io.ModelArtifacts;
}

describeEachBackend('collapseModel', () => {
  it('predicts as the factorized MLP', () => {
    const factorized = factorizedMlp();
    const collapsed = collapseModel(factorized);
    const input = randomTensor(10, [5, 6]);
    expectSamePredictions(collapsed, factorized, input);
    expect(collapsed.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'Dense']);
    expect(collapsed.layers.map((layer) => layer.name)).toEqual(['first', 'second']);
    tf.dispose(input);
    factorized.dispose();
    collapsed.dispose();
  });

  it('stores the product of the factors', () => {
    const factorized = factorizedMlp();
    const collapsed = collapseModel(factorized);
    const [left, middle, right] = factorized.getLayer('second').getWeights();
    const product = collapse({ left: toMatrix(left), middle: toMatrix(middle), right: toMatrix(right) });
    const kernel = collapsed.getLayer('second').getWeights()[0];
    expect(kernel.shape).toEqual([7, 4]);
    expectClose(kernel, product, 2 ** -23);
    factorized.dispose();
    collapsed.dispose();
  });

  const convCases: [string, Partial<FactorizedConv2DArgs>][] = [
    ['paper, same padding, strides 2', { padding: 'same', strides: [2, 1] }],
    ['paper, valid padding, dilation 2', { dilationRate: [1, 2], factors: 3 }],
    ['pointwise, same padding, strides 2', { scheme: 'pointwise', padding: 'same', strides: 2, rank: 3 }],
    ['paper, channels first', { dataFormat: 'channelsFirst', strides: [1, 2], padding: 'same' }],
  ];

  it.each(convCases)('predicts as a conv: %s', (_name, args) => {
    const factorized = factorizedConvModel(args);
    const collapsed = collapseModel(factorized);
    const shape = args.dataFormat === 'channelsFirst' ? [2, 3, 9, 9] : [2, 9, 9, 3];
    const input = randomTensor(11, shape);
    expectSamePredictions(collapsed, factorized, input);
    const conv = collapsed.getLayer('conv').getConfig();
    expect([conv.strides, conv.padding, conv.dilationRate]).toEqual([
      factorized.getLayer('conv').getConfig().strides,
      factorized.getLayer('conv').getConfig().padding,
      factorized.getLayer('conv').getConfig().dilationRate,
    ]);
    tf.dispose(input);
    factorized.dispose();
    collapsed.dispose();
  });

  it('loads with plain tfjs', async () => {
    const factorized = factorizedConvModel({ padding: 'same', strides: 2 });
    factorized.add(tf.layers.flatten({ name: 'flatten' }));
    factorized.add(factorizedDense({ units: 3, rank: 2, seed: 4, frobeniusDecay: 1e-3, name: 'head' }));
    const collapsed = collapseModel(factorized);
    const artifacts = await saveToMemory(collapsed);

    const names = classNamesIn(artifacts.modelTopology);
    expect(names).toEqual(expect.arrayContaining(['Sequential', 'Conv2D', 'Flatten', 'Dense']));
    expect(names.filter((name) => name.startsWith('factorized.'))).toEqual([]);

    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const input = randomTensor(12, [2, 9, 9, 3]);
    expectSamePredictions(loaded, factorized, input);
    tf.dispose(input);
    factorized.dispose();
    collapsed.dispose();
    loaded.dispose();
  });

  it('keeps a branched topology', async () => {
    const original = branchedModel();
    const { model: factorized } = await factorizeModel(original, { rankScale: 0.5 });
    const collapsed = collapseModel(factorized);
    // Kernel initializers differ in form: tfjs writes glorotNormal as a VarianceScaling config,
    // collapseModel records GlorotNormal.
    const configOf = (model: tf.LayersModel): unknown =>
      JSON.parse(JSON.stringify(model.getConfig()), (key, value: unknown) =>
        key === 'kernelInitializer' ? undefined : value,
      ) as unknown;
    expect(configOf(collapsed)).toEqual(configOf(original));

    const inputs = branchedInputs(13);
    expectSamePredictions(collapsed, factorized, inputs);
    tf.dispose(inputs);
    original.dispose();
    factorized.dispose();
    collapsed.dispose();
  });

  it('collapses a factorized trained CNN', async () => {
    const cnn = await trainedCnn();
    const { model: factorized } = await factorizeModel(cnn);
    const collapsed = collapseModel(factorized);
    const artifacts = await saveToMemory(collapsed);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const input = randomTensor(14, [3, 8, 8, 2]);

    expect(classNamesIn(artifacts.modelTopology).filter((name) => name.startsWith('factorized.'))).toEqual([]);
    expectSamePredictions(loaded, factorized, input);
    expect(loaded.countParams()).toBe(cnn.countParams());
    tf.dispose(input);
    cnn.dispose();
    factorized.dispose();
    collapsed.dispose();
    loaded.dispose();
  });

  it('leaks no tensors', () => {
    const factorized = factorizedMlp();
    const start = tf.memory().numTensors;
    collapseModel(factorized).dispose();
    expect(tf.memory().numTensors).toBe(start);
    factorized.dispose();
  });
});

describe('collapseModel options', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('turns Frobenius decay into L2', () => {
    const factorized = tf.sequential({
      layers: [factorizedDense({ units: 3, rank: 2, inputShape: [4], frobeniusDecay: 0.02, weightDecay: 0.1, name: 'decayed' })],
    });
    const collapsed = collapseModel(factorized);
    expect(collapsed.getLayer('decayed').getConfig().kernelRegularizer).toEqual({
      className: 'L1L2',
      config: { l1: 0, l2: 0.01 },
    });
    factorized.dispose();
    collapsed.dispose();
  });

  it('records the kernel initializer', () => {
    const factorized = tf.sequential({
      layers: [
        factorizedDense({
          units: 3,
          rank: 2,
          inputShape: [4],
          kernelInitializer: tf.initializers.heUniform({ seed: 7 }),
          name: 'initialized',
        }),
      ],
    });
    const collapsed = collapseModel(factorized);
    const config = collapsed.getLayer('initialized').getConfig().kernelInitializer as { config: unknown };
    expect(config.config).toEqual({ scale: 2, mode: 'fanIn', distribution: 'uniform', seed: 7 });
    factorized.dispose();
    collapsed.dispose();
  });
});

describe('collapseModel errors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('rejects a non-model', () => {
    expect(() => collapseModel(tf.layers.dense({ units: 2 }) as unknown as tf.LayersModel)).toThrow(InvalidArgumentError);
  });

  it('rejects an unknown factorized class', () => {
    class WideDense extends FactorizedDense {
      static override readonly className = 'collapseModelTest.WideDense';
    }
    const model = tf.sequential({ layers: [new WideDense({ units: 2, rank: 1, inputShape: [3], name: 'wide' })] });
    expect(() => collapseModel(model)).toThrow(UnsupportedError);
    expect(() => collapseModel(model)).toThrow(/wide.*collapseModelTest\.WideDense/);
    model.dispose();
  });

  it('rejects NaN factors', () => {
    const model = factorizedMlp();
    const [left, right, bias] = model.getLayer('first').getWeights();
    const poisoned = tf.fill(left.shape, NaN);
    model.getLayer('first').setWeights([poisoned, right, bias]);
    expect(() => collapseModel(model)).toThrow(NonFiniteValueError);
    expect(() => collapseModel(model)).toThrow(/first\/left of layer first contains NaN/);
    tf.dispose(poisoned);
    model.dispose();
  });
});
