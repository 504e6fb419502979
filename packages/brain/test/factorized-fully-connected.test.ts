import type { Factors, FactorizationOptions } from '@factorized/core';
import {
  collapse as collapseFactors,
  initializeFactors,
  InvalidArgumentError,
  resolveFactorizationOptions,
  SeededRandom,
  ShapeMismatchError,
} from '@factorized/core';
import { FeedForward, layer } from 'brain.js';

import type { FactorizedFullyConnectedSettings } from '../src/index.js';
import {
  ColumnTarget,
  FactorWeights,
  factorizedFeedForward,
  factorizedFullyConnected,
  factorizedLayers,
  factorizedOutput,
  setBrainBackend,
} from '../src/index.js';
import { captureError, FLOAT32_EPSILON, normalMatrix, runFlat, uniformInputs } from './helpers.js';

setBrainBackend('cpu');

const INPUT_SIZE = 7;
const OUTPUT_SIZE = 5;

function networkWith(settings: FactorizedFullyConnectedSettings): FeedForward {
  const net = new FeedForward({
    inputLayer: () => layer.input({ height: INPUT_SIZE }),
    hiddenLayers: [(input) => factorizedFeedForward(settings, input)],
    outputLayer: (input) => layer.target({ height: settings.height }, input),
  });
  net.initialize();
  return net;
}

/** Largest |a − b| / |b| over all entries of all factors, Infinity on a shape mismatch. */
function factorsRelativeError(actual: Factors, expected: Factors): number {
  const pairs: [typeof actual.left, typeof expected.left][] = [
    [actual.left, expected.left],
    [actual.right, expected.right],
  ];
  if ('middle' in actual && 'middle' in expected) {
    pairs.push([actual.middle, expected.middle]);
  }

  let worst = 0;
  for (const [a, b] of pairs) {
    if (a.rows !== b.rows || a.columns !== b.columns) {
      return Infinity;
    }
    b.data.forEach((value, index) => {
      worst = Math.max(worst, Math.abs(a.data[index] - value) / Math.max(Math.abs(value), Number.MIN_VALUE));
    });
  }
  return worst;
}

describe('factorizedFeedForward', () => {
  it('stores transposed factors in brain.js order', () => {
    const net = networkWith({ height: OUTPUT_SIZE, rank: 3, seed: 11 });
    const [factorized] = factorizedLayers(net);

    expect([factorized.left.height, factorized.left.width]).toEqual([3, INPUT_SIZE]);
    expect([factorized.right.height, factorized.right.width]).toEqual([OUTPUT_SIZE, 3]);
    expect(factorized.middle).toBeNull();
  });

  it('starts the biases at zero', () => {
    const net = networkWith({ height: OUTPUT_SIZE, rank: 3, seed: 11 });
    const biasLayer = net.layers?.find(
      (candidate) => candidate instanceof layer.Random && !(candidate instanceof FactorWeights),
    );

    expect((biasLayer?.weights as Float32Array[]).map((row) => row[0])).toEqual(new Array(OUTPUT_SIZE).fill(0));
  });

  it.each<[string, FactorizationOptions]>([
    ['spectral, two factors', { rank: 3, seed: 11 }],
    ['spectral, three factors', { rank: 2, factors: 3, seed: 12 }],
    ['standard, three factors', { rank: 4, factors: 3, initialization: 'standard', seed: 13 }],
    ['standard, overcomplete', { rank: 9, overcomplete: true, initialization: 'standard', seed: 14 }],
    ['rank scale, orthogonal', { rankScale: 0.6, kernelInitializer: 'orthogonal', seed: 15 }],
  ])('equals core initializeFactors (%s)', (_name, options) => {
    const net = networkWith({ height: OUTPUT_SIZE, ...options });
    const expected = initializeFactors(
      resolveFactorizationOptions(options, INPUT_SIZE, OUTPUT_SIZE),
      INPUT_SIZE,
      OUTPUT_SIZE,
    );

    // The layer rounds each entry to float32 once.
    expect(factorsRelativeError(factorizedLayers(net)[0].getFactors(), expected)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });

  it('computes sigmoid of bias plus Wᵀx', () => {
    const random = new SeededRandom(21);
    const initialBiases = Array.from({ length: OUTPUT_SIZE }, () => Math.fround(random.nextNormal()));
    const net = networkWith({ height: OUTPUT_SIZE, rank: 3, seed: 22, initialBiases });
    const { left, right } = factorizedLayers(net)[0].getFactors();
    const kernel = collapseFactors({ left, right });

    for (const input of uniformInputs(random, 4, INPUT_SIZE)) {
      const output = runFlat(net, input);

      for (let j = 0; j < OUTPUT_SIZE; j++) {
        let sum = initialBiases[j];
        // Bound on the float32 rounding of the factors, of Uᵀx, of Vᵀ(Uᵀx) and of the bias sum.
        let magnitude = Math.abs(initialBiases[j]);
        for (let k = 0; k < 3; k++) {
          let partial = 0;
          let partialMagnitude = 0;
          for (let i = 0; i < INPUT_SIZE; i++) {
            partial += left.get(i, k) * input[i];
            partialMagnitude += Math.abs(left.get(i, k) * input[i]);
          }
          magnitude += Math.abs(right.get(k, j)) * (partialMagnitude + Math.abs(partial));
        }
        for (let i = 0; i < INPUT_SIZE; i++) {
          sum += kernel.get(i, j) * input[i];
        }
        const expected = 1 / (1 + Math.exp(-sum));
        // The sigmoid's slope is at most 1/4, and its output is rounded once more.
        const tolerance = 4 * FLOAT32_EPSILON * (magnitude / 4 + 1);

        expect(Math.abs(output[j] - expected)).toBeLessThanOrEqual(tolerance);
      }
    }
  });

  it('applies the activation setting', () => {
    const input = layer.input({ height: INPUT_SIZE });
    const built = {
      relu: factorizedFullyConnected({ height: 3, rank: 2, seed: 1, activation: 'relu' }, input),
      tanh: factorizedFullyConnected({ height: 3, rank: 2, seed: 1, activation: 'tanh' }, input),
      leakyRelu: factorizedFullyConnected({ height: 3, rank: 2, seed: 1, activation: 'leakyRelu' }, input),
      linear: factorizedFullyConnected({ height: 3, rank: 2, seed: 1 }, input),
      sigmoid: factorizedFeedForward({ height: 3, rank: 2, seed: 1 }, input),
    };

    expect(built.relu).toBeInstanceOf(layer.Relu);
    expect(built.tanh).toBeInstanceOf(layer.Tanh);
    expect(built.leakyRelu).toBeInstanceOf(layer.LeakyRelu);
    expect(built.linear).toBeInstanceOf(layer.Add);
    expect(built.sigmoid).toBeInstanceOf(layer.Sigmoid);
  });

  it('ends factorizedOutput in a ColumnTarget', () => {
    const output = factorizedOutput({ height: 3, rank: 2, seed: 1 }, layer.input({ height: INPUT_SIZE }));

    expect(output).toBeInstanceOf(ColumnTarget);
  });

  it('starts from initialFactors', () => {
    const random = new SeededRandom(31);
    const initialFactors = { left: normalMatrix(random, INPUT_SIZE, 2), right: normalMatrix(random, 2, OUTPUT_SIZE) };
    const net = networkWith({ height: OUTPUT_SIZE, initialFactors });
    const [factorized] = factorizedLayers(net);

    expect(factorized.rank).toBe(2);
    expect(factorsRelativeError(factorized.getFactors(), initialFactors)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });
});

describe('factorizedFullyConnected errors', () => {
  const input = (): ReturnType<typeof layer.input> => layer.input({ height: INPUT_SIZE });
  const build = (settings: unknown) => () =>
    factorizedFullyConnected(settings as FactorizedFullyConnectedSettings, input());

  it.each<[string, Record<string, unknown>, string, string]>([
    ['zero rank', { height: 4, rank: 0 }, 'rank', '0'],
    ['rank above min', { height: 4, rank: 5 }, 'rank', '5'],
    ['rank scale above 1', { height: 4, rankScale: 1.5 }, 'rankScale', '1.5'],
    ['zero height', { height: 0, rank: 1 }, 'height', '0'],
    ['four factors', { height: 4, rank: 1, factors: 4 }, 'factors', '4'],
    ['unknown initialization', { height: 4, rank: 1, initialization: 'svd' }, 'initialization', '"svd"'],
    ['spectral overcomplete', { height: 4, rank: 6, overcomplete: true }, 'initialization', '"spectral"'],
    ['negative decay', { height: 4, rank: 1, frobeniusDecay: -1 }, 'frobeniusDecay', '-1'],
    ['NaN weight decay', { height: 4, rank: 1, weightDecay: NaN }, 'weightDecay', 'NaN'],
    ['unknown initializer', { height: 4, rank: 1, kernelInitializer: 'fancy' }, 'kernelInitializer', '"fancy"'],
    ['unknown activation', { height: 4, rank: 1, activation: 'softmax' }, 'activation', '"softmax"'],
    ['empty id', { height: 4, rank: 1, id: '' }, 'id', '""'],
    ['misspelled setting', { height: 4, rank: 1, frobeniusDeacy: 1 }, 'setting name', '"frobeniusDeacy"'],
  ])('rejects %s', (_name, settings, argument, shownValue) => {
    const error = captureError(build(settings));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).toContain(`got ${shownValue}`);
  });

  it('rejects missing rank', () => {
    const error = captureError(build({ height: 4 }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('rank');
    expect((error as Error).message).toContain('Missing rank: set rank to a positive integer, or else rankScale');
  });

  it('rejects seed with initialFactors', () => {
    const random = new SeededRandom(41);
    const initialFactors = { left: normalMatrix(random, INPUT_SIZE, 2), right: normalMatrix(random, 2, 4) };
    const error = captureError(build({ height: 4, initialFactors, seed: 3 }));

    expect((error as InvalidArgumentError).argument).toBe('seed');
  });

  it('rejects initialFactors of the wrong shape', () => {
    const random = new SeededRandom(42);
    const initialFactors = { left: normalMatrix(random, INPUT_SIZE + 1, 2), right: normalMatrix(random, 2, 4) };

    expect(build({ height: 4, initialFactors })).toThrow(ShapeMismatchError);
  });

  it('rejects initialBiases of the wrong length', () => {
    const error = captureError(build({ height: 4, rank: 1, initialBiases: [0, 0] }));

    expect((error as InvalidArgumentError).argument).toBe('initialBiases');
  });

  it('rejects an input wider than a column', () => {
    const wide = layer.random({ height: 3, width: 2 });
    const error = captureError(() => factorizedFullyConnected({ height: 4, rank: 1 }, wide));

    expect((error as InvalidArgumentError).argument).toBe('inputLayer');
  });
});
