import { InvalidArgumentError, SeededRandom, UnsupportedError } from '@factorized/core';
import { FeedForward, layer } from 'brain.js';

import type { FeedForwardJSON } from '../src/index.js';
import {
  ColumnTarget,
  FactorWeights,
  factorizedFeedForward,
  factorizedFullyConnected,
  factorizedLayers,
  factorizedOutput,
  feedForwardFromJSON,
  feedForwardToJSON,
  setBrainBackend,
} from '../src/index.js';
import { captureError, runFlat, uniformInputs } from './helpers.js';

setBrainBackend('cpu');

const INPUT_SIZE = 6;

function factorizedNetwork(): FeedForward {
  return new FeedForward({
    inputLayer: () => layer.input({ height: INPUT_SIZE }),
    hiddenLayers: [
      (input) => factorizedFeedForward({ id: 'hidden', height: 5, rank: 3, seed: 1, frobeniusDecay: 1e-3 }, input),
      (input) =>
        factorizedFullyConnected(
          {
            id: 'middle',
            height: 4,
            rank: 2,
            factors: 3,
            initialization: 'standard',
            seed: 2,
            weightDecay: 1e-4,
            activation: 'tanh',
          },
          input,
        ),
    ],
    outputLayer: (input) => factorizedOutput({ id: 'output', height: 3, rank: 2, seed: 3 }, input),
  });
}

function trainingData(seed: number): { input: Float32Array; output: Float32Array }[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: 8 }, () => ({
    input: Float32Array.from({ length: INPUT_SIZE }, () => random.nextUniform()),
    output: Float32Array.from({ length: 3 }, () => random.nextUniform()),
  }));
}

/** Saves through a JSON string, as a file would, and loads. */
function roundTrip(net: FeedForward): FeedForward {
  return feedForwardFromJSON(JSON.parse(JSON.stringify(feedForwardToJSON(net))) as FeedForwardJSON);
}

describe('feedForwardToJSON and feedForwardFromJSON', () => {
  it('predict identically after a round trip', () => {
    const net = factorizedNetwork();
    net.train(trainingData(4), { iterations: 5, errorThresh: 0.001 });
    const loaded = roundTrip(net);

    for (const input of uniformInputs(new SeededRandom(5), 5, INPUT_SIZE)) {
      expect(runFlat(loaded, input)).toEqual(runFlat(net, input));
    }
  });

  it('restore factors, ids and decays', () => {
    const net = factorizedNetwork();
    net.initialize();
    const loaded = factorizedLayers(roundTrip(net));
    const original = factorizedLayers(net);

    expect(loaded.map((factorized) => [factorized.id, factorized.rank, factorized.factorCount])).toEqual([
      ['hidden', 3, 2],
      ['middle', 2, 3],
      ['output', 2, 2],
    ]);
    expect(loaded.map((factorized) => [factorized.frobeniusDecay, factorized.weightDecay])).toEqual(
      original.map((factorized) => [factorized.frobeniusDecay, factorized.weightDecay]),
    );
    loaded.forEach((factorized, index) => {
      expect(factorized.collapse().data).toEqual(original[index].collapse().data);
    });
  });

  it('restore the ColumnTarget', () => {
    const net = factorizedNetwork();
    const layers = roundTrip(net).layers ?? [];

    expect(layers[layers.length - 1]).toBeInstanceOf(ColumnTarget);
  });

  it('continue training after loading', () => {
    const data = trainingData(6);
    const loaded = roundTrip(factorizedNetwork());
    const before = runFlat(loaded, data[0].input);
    loaded.train(data, { iterations: 3, errorThresh: 0.001 });

    expect(runFlat(loaded, data[0].input)).not.toEqual(before);
  });

  it('keep Frobenius decay active after loading', () => {
    const [hidden] = factorizedLayers(roundTrip(factorizedNetwork()));
    hidden.left.deltas = Array.from({ length: hidden.left.height }, () => new Float32Array(hidden.left.width));
    hidden.left.compare();

    expect((hidden.left.deltas as Float32Array[]).some((row) => row.some((value) => value !== 0))).toBe(true);
  });

  it('load plain brain.js networks', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: INPUT_SIZE }),
      hiddenLayers: [(input) => layer.feedForward({ height: 4 }, input)],
      outputLayer: (input) => layer.output({ height: 2 }, input),
    });
    net.initialize();
    const loaded = roundTrip(net);
    const input = uniformInputs(new SeededRandom(7), 1, INPUT_SIZE)[0];

    expect(runFlat(loaded, input)).toEqual(runFlat(net, input));
  });
});

describe('brain.js FeedForward.fromJSON', () => {
  // Documents brain.js 2.0.0-beta.24: fromJSON skips initialize(), so run() fails.
  it('fails to run even plain networks', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: INPUT_SIZE }),
      hiddenLayers: [(input) => layer.feedForward({ height: 4 }, input)],
      outputLayer: (input) => layer.output({ height: 2 }, input),
    });
    const loaded = FeedForward.fromJSON(net.toJSON());

    expect(() => loaded.run(new Float32Array(INPUT_SIZE))).toThrow('not initialized');
  });
});

describe('feedForwardFromJSON errors', () => {
  const savedJSON = (): FeedForwardJSON => feedForwardToJSON(factorizedNetwork());
  const factorIndex = (json: FeedForwardJSON, role: string): number =>
    json.layers.findIndex((layerJSON) => layerJSON.factorization?.role === role);

  it('rejects missing layers', () => {
    const json = { ...savedJSON(), layers: [] };

    expect(captureError(() => feedForwardFromJSON(json))).toMatchObject({ argument: 'json.layers' });
  });

  it('rejects an unknown factor role', () => {
    const json = savedJSON();
    const index = factorIndex(json, 'left');
    const record = json.layers[index].factorization;
    json.layers[index].factorization = { ...record, role: 'top' } as unknown as typeof record;

    expect(captureError(() => feedForwardFromJSON(json))).toMatchObject({
      argument: `json.layers[${index}].factorization.role`,
      value: 'top',
    });
  });

  it('rejects a layer without right factor', () => {
    const json = savedJSON();
    const index = factorIndex(json, 'right');
    const record = json.layers[index].factorization;
    json.layers[index].factorization = { ...record, role: 'middle' } as typeof record;

    expect(() => feedForwardFromJSON(json)).toThrow(InvalidArgumentError);
  });

  it('rejects an unknown layer type', () => {
    const json = savedJSON();
    json.layers[factorIndex(json, 'left')].type = 'Mystery';

    expect(() => feedForwardFromJSON(json)).toThrow(UnsupportedError);
  });

  it('rejects duplicate layer ids on save', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: INPUT_SIZE }),
      hiddenLayers: [(input) => factorizedFeedForward({ id: 'twin', height: 4, rank: 2, seed: 1 }, input)],
      outputLayer: (input) => factorizedOutput({ id: 'twin', height: 2, rank: 1, seed: 2 }, input),
    });

    expect(captureError(() => feedForwardToJSON(net))).toMatchObject({ argument: 'id', value: 'twin' });
  });
});

describe('FactorWeights JSON', () => {
  it('records type and factorization', () => {
    const json = feedForwardToJSON(factorizedNetwork());
    const factorJSON = json.layers.filter((layerJSON) => layerJSON.type === 'FactorWeights');

    const names = factorJSON.map((layerJSON) => `${layerJSON.factorization?.layer}.${layerJSON.factorization?.role}`);

    expect(names.sort()).toEqual([
      'hidden.left',
      'hidden.right',
      'middle.left',
      'middle.middle',
      'middle.right',
      'output.left',
      'output.right',
    ]);
    expect(new FactorWeights({ height: 1, width: 1, factorization: { layer: 'a', role: 'left' } }).toJSON().type).toBe(
      'FactorWeights',
    );
  });
});
