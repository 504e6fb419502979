import { fullSvd, InvalidArgumentError, SeededRandom, UnsupportedError } from '@factorized/core';
import { layer, NeuralNetwork as NeuralNetworkV2 } from 'brain.js';
import { NeuralNetwork as NeuralNetworkV1 } from 'brain.js-v1';

import { factorizedLayers, factorizeNeuralNetwork, readClassicNetwork, setBrainBackend } from '../src/index.js';
import { captureError, flattenOutput, relativeError, runFlat, seededClassicJSON, uniformInputs } from './helpers.js';

setBrainBackend('cpu');

type ClassicActivation = 'sigmoid' | 'relu' | 'tanh' | 'leaky-relu';

const SIZES = [6, 5, 4, 3];

/** A classic NeuralNetwork of either brain.js version, as far as these tests use it. */
interface ClassicInstance {
  run(input: number[]): unknown;
  toJSON(): unknown;
}

/** Loads seeded classic weights into a NeuralNetwork of brain.js `version`. */
function classicNetwork(version: 1 | 2, activation: ClassicActivation, seed: number, sizes = SIZES): ClassicInstance {
  const json = seededClassicJSON(version, sizes, activation, seed);
  const net =
    version === 1 ? new NeuralNetworkV1().fromJSON(json as never) : new NeuralNetworkV2().fromJSON(json as never);
  return net;
}

function runClassic(net: ClassicInstance, input: Float32Array): number[] {
  return flattenOutput(net.run(Array.from(input)));
}

/** Singular values of the in × out kernel of weight layer `index` (brain.js weight transposed). */
function kernelSingularValues(classic: ClassicInstance, index: number): Float64Array {
  const { layers } = readClassicNetwork('net', classic);
  return fullSvd(layers[index].weights.transpose()).singularValues;
}

describe('factorizeNeuralNetwork', () => {
  it.each<[1 | 2, ClassicActivation]>([
    [1, 'sigmoid'],
    [1, 'relu'],
    [1, 'tanh'],
    [2, 'sigmoid'],
    [2, 'relu'],
    [2, 'tanh'],
    [2, 'leaky-relu'],
  ])('predicts like brain.js %i %s at full rank', (version, activation) => {
    const classic = classicNetwork(version, activation, 100 + version);
    const net = factorizeNeuralNetwork(classic, { rankScale: 1 });

    for (const input of uniformInputs(new SeededRandom(7), 6, SIZES[0])) {
      expect(relativeError(runFlat(net, input), runClassic(classic, input))).toBeLessThanOrEqual(1e-5);
    }
  });

  it('accepts the JSON of either version', () => {
    const input = uniformInputs(new SeededRandom(8), 1, SIZES[0])[0];
    const fromVersion1 = factorizeNeuralNetwork(seededClassicJSON(1, SIZES, 'tanh', 9), { rankScale: 1 });
    const fromVersion2 = factorizeNeuralNetwork(seededClassicJSON(2, SIZES, 'tanh', 9), { rankScale: 1 });

    expect(runFlat(fromVersion1, input)).toEqual(runFlat(fromVersion2, input));
  });

  it('keeps the best rank-r approximation', () => {
    const classic = classicNetwork(2, 'sigmoid', 10, [12, 10, 4]);
    const net = factorizeNeuralNetwork(classic, { rank: 3 });
    const [first] = factorizedLayers(net);
    const { layers } = readClassicNetwork('net', classic);
    const kernel = layers[0].weights.transpose();
    const product = first.collapse();
    let errorSquared = 0;
    kernel.data.forEach((value, index) => {
      errorSquared += (value - product.data[index]) ** 2;
    });
    const tail = Array.from(kernelSingularValues(classic, 0).slice(3)).reduce((sum, value) => sum + value * value, 0);

    // Eckart–Young: the error is the energy beyond rank 3, up to float32 rounding of the factors.
    expect(Math.abs(Math.sqrt(errorSquared) - Math.sqrt(tail))).toBeLessThanOrEqual(1e-5 * Math.sqrt(tail));
  });

  it('copies the biases', () => {
    const json = seededClassicJSON(2, SIZES, 'relu', 11);
    const net = factorizeNeuralNetwork(json, { rankScale: 0.5 });
    const biases = (net.layers ?? [])
      .filter(
        (candidate) =>
          candidate instanceof layer.Random &&
          (candidate as { settings: { id?: string } }).settings.id?.endsWith('.biases'),
      )
      .map((biasLayer) => (biasLayer.weights as Float32Array[]).map((row) => row[0]));
    const expected = (json.layers as { biases: number[] }[]).slice(1).map((layerJSON) => layerJSON.biases);

    expect(biases).toEqual(expected);
  });

  it('applies per-layer ranks and dense layers', () => {
    const net = factorizeNeuralNetwork(seededClassicJSON(2, SIZES, 'sigmoid', 12), {
      rank: 2,
      layers: [{ rank: 4 }, 'dense', undefined],
      frobeniusDecay: 1e-3,
    });

    expect(
      factorizedLayers(net).map((factorized) => [factorized.id, factorized.rank, factorized.frobeniusDecay]),
    ).toEqual([
      ['layer1', 4, 1e-3],
      ['layer3', 2, 1e-3],
    ]);
  });

  it('predicts like brain.js with a dense layer', () => {
    const classic = classicNetwork(2, 'tanh', 13);
    const net = factorizeNeuralNetwork(classic, { rankScale: 1, layers: [undefined, 'dense', undefined] });
    const input = uniformInputs(new SeededRandom(14), 1, SIZES[0])[0];

    expect(relativeError(runFlat(net, input), runClassic(classic, input))).toBeLessThanOrEqual(1e-5);
  });

  it('builds three-factor layers', () => {
    const classic = classicNetwork(1, 'sigmoid', 15);
    const net = factorizeNeuralNetwork(classic, { rankScale: 1, factors: 3 });
    const input = uniformInputs(new SeededRandom(16), 1, SIZES[0])[0];

    expect(factorizedLayers(net).every((factorized) => factorized.factorCount === 3)).toBe(true);
    expect(relativeError(runFlat(net, input), runClassic(classic, input))).toBeLessThanOrEqual(1e-5);
  });

  it('returns a network that trains', () => {
    const random = new SeededRandom(17);
    const net = factorizeNeuralNetwork(seededClassicJSON(2, SIZES, 'sigmoid', 18), { rankScale: 0.5 });
    const data = uniformInputs(random, 6, SIZES[0]).map((input) => ({ input, output: Float32Array.of(1, 0, 1) }));
    const status = net.train(data, { iterations: 200, errorThresh: 0.001 });

    expect(status.error).toBeLessThan(0.01);
  });
});

describe('factorizeNeuralNetwork errors', () => {
  const json = (): Record<string, unknown> => seededClassicJSON(2, SIZES, 'sigmoid', 20);

  it('rejects leaky relu of brain.js 1.x', () => {
    expect(() => factorizeNeuralNetwork(seededClassicJSON(1, SIZES, 'leaky-relu', 21), { rankScale: 1 })).toThrow(
      UnsupportedError,
    );
  });

  it('rejects another leaky relu slope', () => {
    const classic = json();
    classic.trainOpts = { ...(classic.trainOpts as object), activation: 'leaky-relu', leakyReluAlpha: 0.2 };

    expect(() => factorizeNeuralNetwork(classic, { rankScale: 1 })).toThrow(UnsupportedError);
  });

  it('rejects networks trained on objects', () => {
    const classic = { ...json(), inputLookup: { a: 0 }, inputLookupLength: 1 };

    expect(() => factorizeNeuralNetwork(classic, { rankScale: 1 })).toThrow(UnsupportedError);
  });

  it('rejects brain.js 1.x networks trained on objects', () => {
    const classic = seededClassicJSON(1, SIZES, 'sigmoid', 22);
    const inputLayer = (classic.layers as Record<string, unknown>[])[0];
    (classic.layers as Record<string, unknown>[])[0] = Object.fromEntries(
      Object.keys(inputLayer).map((key) => [`pixel${key}`, {}]),
    );

    expect(() => factorizeNeuralNetwork(classic, { rankScale: 1 })).toThrow('net.inputLookup');
  });

  it('rejects an untrained network', () => {
    expect(captureError(() => factorizeNeuralNetwork(new NeuralNetworkV2(), { rankScale: 1 }))).toMatchObject({
      argument: 'net.sizes',
    });
  });

  it('rejects initialization options', () => {
    expect(captureError(() => factorizeNeuralNetwork(json(), { rank: 1, seed: 3 } as never))).toMatchObject({
      argument: 'option name',
      value: 'seed',
    });
  });

  it('names the weight layer of a bad rank', () => {
    const error = captureError(() => factorizeNeuralNetwork(json(), { rank: 5 }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('rank');
    expect((error as Error).message).toContain('Layer "layer2" (5 → 4, options.layers[1])');
  });

  it('rejects a layers array of the wrong length', () => {
    expect(captureError(() => factorizeNeuralNetwork(json(), { rank: 1, layers: [undefined] }))).toMatchObject({
      argument: 'layers',
    });
  });

  it('rejects non-finite weights', () => {
    const classic = json();
    (classic.layers as { weights: number[][] }[])[1].weights[0][0] = NaN;

    expect(() => factorizeNeuralNetwork(classic, { rank: 1 })).toThrow('net.layers[1].weights[0][0] is NaN');
  });

  it('rejects a FeedForward network', () => {
    const net = factorizeNeuralNetwork(json(), { rank: 1 });

    expect(captureError(() => factorizeNeuralNetwork(net, { rank: 1 }))).toMatchObject({ argument: 'net' });
  });
});
