import * as tf from '@tensorflow/tfjs';
import * as core from '@factorized/core';
import { factorizedDense } from '../src/index.js';

jest.mock('@factorized/core', () => {
  const actual = jest.requireActual<typeof core>('@factorized/core');
  return { ...actual, initializeFactors: jest.fn(actual.initializeFactors) };
});

const initializeFactors = core.initializeFactors as jest.MockedFunction<typeof core.initializeFactors>;

describe('model loading', () => {
  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  it('skips the initialization of loaded factors', async () => {
    const model = tf.sequential({ layers: [factorizedDense({ units: 3, rank: 2, seed: 1, inputShape: [4] })] });
    expect(initializeFactors).toHaveBeenCalledTimes(1);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));

    expect(initializeFactors).toHaveBeenCalledTimes(1);
    model.dispose();
    loaded.dispose();
  });
});
