import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FactorizedError } from '@factorized/core';
import { FactorizedConv2D, FactorizedDense, factorizedConv2d, factorizedDense, fileSystem } from '../src/index.js';
import { registerLayerClass } from '../src/register-class.js';
import { describeEachBackend, randomTensor } from './helpers.js';

function sequentialModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      factorizedConv2d({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        rank: 3,
        seed: 1,
        inputShape: [6, 6, 2],
        frobeniusDecay: 1e-3,
        activation: 'relu',
      }),
      tf.layers.conv2d({
        filters: 2,
        kernelSize: 2,
        strides: 2,
        kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
      }),
      tf.layers.flatten(),
      factorizedDense({ units: 5, rank: 2, factors: 3, seed: 3, weightDecay: 1e-4, biasInitializer: 'randomNormal' }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }),
    ],
  });
}

function functionalModel(): tf.LayersModel {
  const input = tf.input({ shape: [5, 4, 3] });
  const conv = factorizedConv2d({
    filters: 3,
    kernelSize: [2, 3],
    scheme: 'pointwise',
    dataFormat: 'channelsFirst',
    rankScale: 0.5,
    seed: 5,
  }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(conv) as tf.SymbolicTensor;
  const left = factorizedDense({ units: 4, rank: 2, seed: 6, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
  const right = tf.layers.dense({ units: 4 }).apply(flat) as tf.SymbolicTensor;
  const merged = tf.layers.add().apply([left, right]) as tf.SymbolicTensor;
  const output = factorizedDense({ units: 2, rank: 1, seed: 7, useBias: false }).apply(merged) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** Expects equal weight names, shapes and bit-identical values. */
function expectSameWeights(loaded: tf.LayersModel, original: tf.LayersModel): void {
  expect(loaded.weights.map((weight) => weight.originalName)).toEqual(
    original.weights.map((weight) => weight.originalName),
  );
  const loadedValues = loaded.getWeights();
  original.getWeights().forEach((value, index) => {
    expect(Array.from(loadedValues[index].dataSync())).toEqual(Array.from(value.dataSync()));
  });
}

/** Expects bit-identical predictions on the same input. */
function expectSamePredictions(loaded: tf.LayersModel, original: tf.LayersModel, input: tf.Tensor): void {
  const expected = original.predict(input) as tf.Tensor;
  const actual = loaded.predict(input) as tf.Tensor;
  expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
  tf.dispose([expected, actual]);
}

/** Converts a config as saving does, where tfjs writes undefined values as null. */
function withNulls(config: tf.serialization.ConfigDict): unknown {
  return JSON.parse(JSON.stringify(config, (_key, value: unknown) => (value === undefined ? null : value)));
}

async function roundTripInMemory(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
}

describeEachBackend('serialization', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'factorized-tfjs-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round-trips a Sequential model in memory', async () => {
    const model = sequentialModel();
    const loaded = await roundTripInMemory(model);
    const input = randomTensor(8, [3, 6, 6, 2]);
    expectSameWeights(loaded, model);
    expectSamePredictions(loaded, model, input);
    input.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('round-trips a Functional model in memory', async () => {
    const model = functionalModel();
    const loaded = await roundTripInMemory(model);
    const input = randomTensor(9, [2, 5, 4, 3]);
    expectSameWeights(loaded, model);
    expectSamePredictions(loaded, model, input);
    input.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('round-trips through fileSystem', async () => {
    const model = sequentialModel();
    const path = join(directory, tf.getBackend());
    await model.save(fileSystem(path));
    const loaded = await tf.loadLayersModel(fileSystem(path));
    expect((await readdir(path)).sort()).toEqual(['model.json', 'weights.bin']);
    const input = randomTensor(10, [2, 6, 6, 2]);
    expectSameWeights(loaded, model);
    expectSamePredictions(loaded, model, input);
    input.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('loads from a model.json path', async () => {
    const model = functionalModel();
    const path = join(directory, `${tf.getBackend()}-functional`, 'model.json');
    await model.save(fileSystem(path));
    const loaded = await tf.loadLayersModel(fileSystem(path));
    expectSameWeights(loaded, model);
    model.dispose();
    loaded.dispose();
  });

  it('restores every option of the layers', async () => {
    const model = sequentialModel();
    const loaded = await roundTripInMemory(model);
    model.layers.forEach((layer, index) => {
      expect(withNulls(loaded.layers[index].getConfig())).toEqual(withNulls(layer.getConfig()));
    });
    expect(loaded.layers[0]).toBeInstanceOf(FactorizedConv2D);
    expect(loaded.layers[3]).toBeInstanceOf(FactorizedDense);
    expect(loaded.layers[0].losses).toHaveLength(1);
    model.dispose();
    loaded.dispose();
  });
});

describe('getConfig', () => {
  it('lists every FactorizedDense option', () => {
    const layer = factorizedDense({ units: 3, rank: 2, name: 'configured_dense' });
    expect(Object.keys(layer.getConfig()).sort()).toEqual(
      [
        'activation',
        'activityRegularizer',
        'biasConstraint',
        'biasInitializer',
        'biasRegularizer',
        'factorConstraint',
        'factorRegularizer',
        'factors',
        'frobeniusDecay',
        'initialization',
        'kernelInitializer',
        'name',
        'overcomplete',
        'rank',
        'rankScale',
        'seed',
        'trainable',
        'units',
        'useBias',
        'weightDecay',
      ].sort(),
    );
  });

  it('rebuilds an equal FactorizedConv2D config', () => {
    const layer = factorizedConv2d({
      filters: 3,
      kernelSize: [3, 1],
      strides: [1, 2],
      padding: 'same',
      dataFormat: 'channelsFirst',
      scheme: 'pointwise',
      rankScale: 0.5,
      factors: 3,
      kernelInitializer: tf.initializers.heUniform({ seed: 4 }),
      frobeniusDecay: 1e-4,
      factorRegularizer: 'l1l2',
      factorConstraint: 'maxNorm',
      batchInputShape: [null, 2, 6, 6],
    });
    const config = layer.getConfig();
    expect(new FactorizedConv2D(config as never).getConfig()).toEqual(config);
  });
});

describe('class registration', () => {
  it('registers the namespaced class names', () => {
    const classNameMap = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(classNameMap['factorized.FactorizedDense'][0]).toBe(FactorizedDense);
    expect(classNameMap['factorized.FactorizedConv2D'][0]).toBe(FactorizedConv2D);
  });

  it('ignores registering its own class again', () => {
    expect(() => registerLayerClass(FactorizedDense)).not.toThrow();
  });

  it('keeps the first of two own classes', () => {
    // Stands in for the same class from a second build of this package.
    class CopiedDense extends FactorizedDense {}
    expect(() => registerLayerClass(CopiedDense)).not.toThrow();
    expect(tf.serialization.SerializationMap.getMap().classNameMap['factorized.FactorizedDense'][0]).toBe(
      FactorizedDense,
    );
  });

  it('rejects a name taken by a foreign class', () => {
    class ForeignLayer extends tf.layers.Layer {
      static readonly className = 'factorized.TakenName';
    }
    tf.serialization.registerClass(ForeignLayer);
    class OwnLayer extends FactorizedDense {
      static override readonly className = 'factorized.TakenName';
    }
    expect(() => registerLayerClass(OwnLayer)).toThrow(FactorizedError);
    expect(() => registerLayerClass(OwnLayer)).toThrow(/OwnLayer.*ForeignLayer/);
  });
});
