import { InvalidArgumentError, SeededRandom, UnsupportedError } from '@factorized/core';
import { FeedForward, layer, NeuralNetwork as NeuralNetworkV2 } from 'brain.js';
import { NeuralNetwork as NeuralNetworkV1 } from 'brain.js-v1';

import {
  collapse,
  columnTarget,
  FactorWeights,
  factorizedFeedForward,
  factorizedFullyConnected,
  factorizedLayers,
  factorizedOutput,
  factorizeNeuralNetwork,
  setBrainBackend,
  toNeuralNetworkJSON,
} from '../src/index.js';
import { captureError, flattenOutput, relativeError, runFlat, seededClassicJSON, uniformInputs } from './helpers.js';

setBrainBackend('cpu');

const INPUT_SIZE = 8;

function stackNetwork(activation: 'sigmoid' | 'relu' | 'tanh' | 'leakyRelu', factors: 2 | 3 = 2): FeedForward {
  const net = new FeedForward({
    inputLayer: () => layer.input({ height: INPUT_SIZE }),
    hiddenLayers: [
      (input) =>
        factorizedFullyConnected(
          { height: 6, rank: 3, factors, seed: 1, activation, initialBiases: [0.1, -0.2, 0.3, 0, 0.5, -0.1] },
          input,
        ),
      (input) => factorizedFullyConnected({ height: 5, rank: 2, factors, seed: 2, activation }, input),
    ],
    outputLayer: (input) =>
      columnTarget(
        { height: 3 },
        factorizedFullyConnected({ height: 3, rank: 2, factors, seed: 3, activation }, input),
      ),
  });
  net.initialize();
  return net;
}

const inputs = (): Float32Array[] => uniformInputs(new SeededRandom(4), 5, INPUT_SIZE);

describe('collapse', () => {
  it.each<[string, 2 | 3]>([
    ['two factors', 2],
    ['three factors', 3],
  ])('predicts like the factorized network (%s)', (_name, factors) => {
    const net = stackNetwork('tanh', factors);
    const collapsed = collapse(net);

    for (const input of inputs()) {
      expect(relativeError(runFlat(collapsed, input), runFlat(net, input))).toBeLessThanOrEqual(1e-5);
    }
  });

  it('leaves no factor layers', () => {
    const collapsed = collapse(stackNetwork('sigmoid'));

    expect((collapsed.layers ?? []).some((candidate) => candidate instanceof FactorWeights)).toBe(false);
  });

  it('stores the float32 product of the factors', () => {
    const net = stackNetwork('relu');
    const kernel = factorizedLayers(net)[0].collapse();
    const collapsed = collapse(net);
    const weightLayer = (collapsed.layers ?? []).find(
      (candidate) => candidate instanceof layer.Random && candidate.height === 6 && candidate.width === INPUT_SIZE,
    );
    const expected = Array.from({ length: 6 }, (_, row) =>
      Array.from({ length: INPUT_SIZE }, (_, column) => Math.fround(kernel.get(column, row))),
    );

    expect((weightLayer?.weights as number[][]).map((row) => Array.from(row))).toEqual(expected);
  });

  it('keeps dense layers unchanged', () => {
    const net = factorizeNeuralNetwork(seededClassicJSON(2, [INPUT_SIZE, 6, 3], 'sigmoid', 5), {
      rankScale: 1,
      layers: ['dense', undefined],
    });
    const dense = (net.layers ?? []).find(
      (candidate) => candidate instanceof layer.Random && candidate.height === 6 && candidate.width === INPUT_SIZE,
    );
    const collapsed = collapse(net);
    const copied = (collapsed.layers ?? []).find(
      (candidate) => candidate instanceof layer.Random && candidate.height === 6 && candidate.width === INPUT_SIZE,
    );

    expect((copied?.weights as number[][]).map((row) => Array.from(row))).toEqual(
      (dense?.weights as Float32Array[]).map((row) => Array.from(row)),
    );
  });

  it('leaves the factorized network intact', () => {
    const net = stackNetwork('tanh');
    const input = inputs()[0];
    const before = runFlat(net, input);
    collapse(net);

    expect(factorizedLayers(net)).toHaveLength(3);
    expect(runFlat(net, input)).toEqual(before);
  });

  it('returns a network that trains', () => {
    const collapsed = collapse(stackNetwork('sigmoid'));
    const data = inputs().map((input) => ({ input, output: Float32Array.of(0.2, 0.8, 0.5) }));
    const status = collapsed.train(data, { iterations: 300, errorThresh: 0.001 });

    expect(status.error).toBeLessThan(0.01);
  });
});

describe('toNeuralNetworkJSON', () => {
  it.each<['sigmoid' | 'relu' | 'tanh' | 'leakyRelu', 1 | 2]>([
    ['sigmoid', 1],
    ['relu', 1],
    ['tanh', 1],
    ['sigmoid', 2],
    ['relu', 2],
    ['tanh', 2],
    ['leakyRelu', 2],
  ])('loads %s networks in brain.js %i', (activation, version) => {
    const net = stackNetwork(activation);
    const json = toNeuralNetworkJSON(net, { version });
    const classic =
      version === 1 ? new NeuralNetworkV1().fromJSON(json as never) : new NeuralNetworkV2().fromJSON(json as never);

    for (const input of inputs()) {
      const classicOutput = flattenOutput((classic as { run(input: number[]): unknown }).run(Array.from(input)));

      expect(relativeError(classicOutput, runFlat(net, input))).toBeLessThanOrEqual(1e-5);
    }
  });

  it('recovers the original weights at full rank', () => {
    const original = seededClassicJSON(2, [INPUT_SIZE, 6, 3], 'tanh', 6);
    const json = toNeuralNetworkJSON(factorizeNeuralNetwork(original, { rankScale: 1 }));
    const originalWeights = (original.layers as { weights: number[][] }[]).flatMap((layerJSON) =>
      layerJSON.weights.flat(),
    );
    const recovered = (json.layers as { weights: number[][] }[]).flatMap((layerJSON) => layerJSON.weights.flat());

    // float32 factors reproduce each weight to a few float32 roundings of the largest ones.
    expect(relativeError(recovered, originalWeights)).toBeLessThanOrEqual(1e-5);
  });

  it('rejects a linear output layer', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: INPUT_SIZE }),
      hiddenLayers: [(input) => factorizedFeedForward({ height: 4, rank: 2, seed: 7 }, input)],
      outputLayer: (input) => factorizedOutput({ height: 2, rank: 1, seed: 8 }, input),
    });

    expect(() => toNeuralNetworkJSON(net)).toThrow(UnsupportedError);
  });

  it('rejects mixed activations', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: INPUT_SIZE }),
      hiddenLayers: [(input) => factorizedFullyConnected({ height: 4, rank: 2, seed: 9, activation: 'relu' }, input)],
      outputLayer: (input) =>
        columnTarget({ height: 2 }, factorizedFeedForward({ height: 2, rank: 1, seed: 10 }, input)),
    });

    expect(() => toNeuralNetworkJSON(net)).toThrow('different activations (relu, sigmoid)');
  });

  it('rejects leaky relu for brain.js 1', () => {
    expect(() => toNeuralNetworkJSON(stackNetwork('leakyRelu'), { version: 1 })).toThrow(UnsupportedError);
  });

  it('rejects an unknown version', () => {
    expect(captureError(() => toNeuralNetworkJSON(stackNetwork('tanh'), { version: 3 as never }))).toMatchObject({
      argument: 'version',
      value: 3,
    });
  });

  it('rejects an unknown option', () => {
    expect(() => toNeuralNetworkJSON(stackNetwork('tanh'), { format: 'v1' } as never)).toThrow(InvalidArgumentError);
  });
});
