import type { Matrix } from '@factorized/core';
import {
  collapse as collapseFactors,
  frobeniusDecay,
  frobeniusNorm,
  SeededRandom,
  weightDecay,
} from '@factorized/core';
import { FeedForward, layer } from 'brain.js';

import type { FactorWeights, FactorizedFullyConnectedSettings, FactorizedLayer } from '../src/index.js';
import { columnTarget, factorizedFeedForward, factorizedLayers, setBrainBackend } from '../src/index.js';
import { FLOAT32_EPSILON, normalMatrix } from './helpers.js';

setBrainBackend('cpu');

const INPUT_SIZE = 9;
const OUTPUT_SIZE = 6;

function factorizedLayerWith(settings: Omit<FactorizedFullyConnectedSettings, 'height'>): FactorizedLayer {
  const net = new FeedForward({
    inputLayer: () => layer.input({ height: INPUT_SIZE }),
    hiddenLayers: [(input) => factorizedFeedForward({ height: OUTPUT_SIZE, ...settings }, input)],
    outputLayer: (input) => columnTarget({ height: OUTPUT_SIZE }, input),
  });
  net.initialize();
  return factorizedLayers(net)[0];
}

/** Sets the factor's deltas to zero, runs its backward step, and returns the deltas it leaves (brain.js order). */
function regularizerDeltas(factor: FactorWeights): number[][] {
  factor.deltas = Array.from({ length: factor.height }, () => new Float32Array(factor.width));
  factor.compare();
  return (factor.deltas as Float32Array[]).map((row) => Array.from(row));
}

/**
 * Largest |delta − gradientᵀ| over the entries, divided by the largest |gradient|, where
 * `gradient` is core's gradient of the core factor, the transpose of what the layer stores.
 */
function transposedError(deltas: number[][], gradient: Matrix): number {
  let difference = 0;
  let magnitude = Number.MIN_VALUE;
  deltas.forEach((row, y) => {
    row.forEach((value, x) => {
      const expected = gradient.get(x, y);
      difference = Math.max(difference, Math.abs(value - expected));
      magnitude = Math.max(magnitude, Math.abs(expected));
    });
  });
  return difference / magnitude;
}

describe('Frobenius decay in compare', () => {
  it('adds core gradients, two factors', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 5, frobeniusDecay: 0.3 });
    const { gradients } = frobeniusDecay(factorized.getFactors(), 0.3);

    // Deltas are float32: one rounding of each gradient entry.
    expect(transposedError(regularizerDeltas(factorized.left), gradients.left)).toBeLessThanOrEqual(FLOAT32_EPSILON);
    expect(transposedError(regularizerDeltas(factorized.right), gradients.right)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });

  it('adds core gradients, three factors', () => {
    const factorized = factorizedLayerWith({
      rank: 3,
      factors: 3,
      initialization: 'standard',
      seed: 6,
      frobeniusDecay: 0.2,
    });
    const { gradients } = frobeniusDecay(factorized.getFactors(), 0.2);

    expect(transposedError(regularizerDeltas(factorized.left), gradients.left)).toBeLessThanOrEqual(FLOAT32_EPSILON);
    expect(
      transposedError(regularizerDeltas(factorized.middle as FactorWeights), gradients.middle as Matrix),
    ).toBeLessThanOrEqual(FLOAT32_EPSILON);
    expect(transposedError(regularizerDeltas(factorized.right), gradients.right)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });

  it('follows setFactors', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 7, frobeniusDecay: 0.5 });
    regularizerDeltas(factorized.left);
    const random = new SeededRandom(8);
    factorized.setFactors({ left: normalMatrix(random, INPUT_SIZE, 4), right: normalMatrix(random, 4, OUTPUT_SIZE) });
    const { gradients } = frobeniusDecay(factorized.getFactors(), 0.5);

    expect(transposedError(regularizerDeltas(factorized.left), gradients.left)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });

  it('adds nothing when both decays are zero', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 9 });
    const deltas = regularizerDeltas(factorized.right);

    expect(deltas.flat().every((value) => value === 0)).toBe(true);
  });
});

describe('weight decay in compare', () => {
  it('adds λ times the weights', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 10, weightDecay: 0.25 });
    const { gradients } = weightDecay(factorized.getFactors(), 0.25);

    expect(transposedError(regularizerDeltas(factorized.left), gradients.left)).toBeLessThanOrEqual(FLOAT32_EPSILON);
    expect(transposedError(regularizerDeltas(factorized.right), gradients.right)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });

  it('adds to Frobenius decay', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 11, weightDecay: 0.25, frobeniusDecay: 0.5 });
    const factors = factorized.getFactors();
    const sum = frobeniusDecay(factors, 0.5).gradients.right.clone();
    const decay = weightDecay(factors, 0.25).gradients.right;
    sum.data.forEach((value, index) => {
      sum.data[index] = value + decay.data[index];
    });

    // The float64 sum of both gradients is rounded to float32 once.
    expect(transposedError(regularizerDeltas(factorized.right), sum)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });
});

describe('FactorizedLayer.regularizerGradients', () => {
  it('equals core gradients summed', () => {
    const factorized = factorizedLayerWith({
      rank: 3,
      factors: 3,
      initialization: 'standard',
      seed: 16,
      frobeniusDecay: 0.3,
      weightDecay: 0.1,
    });
    const factors = factorized.getFactors();
    const frobenius = frobeniusDecay(factors, 0.3).gradients;
    const decay = weightDecay(factors, 0.1).gradients;
    const gradients = factorized.regularizerGradients();

    for (const role of ['left', 'middle', 'right'] as const) {
      const expected = Array.from(
        (frobenius[role] as Matrix).data,
        (value, index) => value + (decay[role] as Matrix).data[index],
      );

      expect(Array.from((gradients[role] as Matrix).data)).toEqual(expected);
    }
  });

  it('matches what compare adds', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 17, frobeniusDecay: 0.3, weightDecay: 0.1 });
    const expected = factorized.regularizerGradients().right;

    expect(transposedError(regularizerDeltas(factorized.right), expected)).toBeLessThanOrEqual(FLOAT32_EPSILON);
  });
});

describe('FactorizedLayer.regularization', () => {
  it('equals (λ/2)‖UV‖² for Frobenius decay', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 12, frobeniusDecay: 0.4 });
    const norm = frobeniusNorm(collapseFactors(factorized.getFactors()));
    const { value } = factorized.regularization().frobeniusDecay;

    // float64 sums over at most INPUT_SIZE·OUTPUT_SIZE terms.
    expect(Math.abs(value - 0.2 * norm * norm)).toBeLessThanOrEqual(1e-12 * value);
  });

  it('equals (λ/2)(‖U‖² + ‖V‖²) for weight decay', () => {
    const factorized = factorizedLayerWith({ rank: 4, seed: 13, weightDecay: 0.6 });
    const { left, right } = factorized.getFactors();
    const expected = 0.3 * (frobeniusNorm(left) ** 2 + frobeniusNorm(right) ** 2);

    expect(Math.abs(factorized.regularization().weightDecay.value - expected)).toBeLessThanOrEqual(1e-12 * expected);
  });
});

describe('Frobenius decay in training', () => {
  it('shrinks the product norm', () => {
    const random = new SeededRandom(14);
    const data = Array.from({ length: 20 }, () => ({
      input: Float32Array.from({ length: INPUT_SIZE }, () => random.nextUniform()),
      output: Float32Array.from({ length: OUTPUT_SIZE }, () => random.nextUniform()),
    }));

    const productNorm = (frobeniusDecayCoefficient: number): number => {
      const net = new FeedForward({
        inputLayer: () => layer.input({ height: INPUT_SIZE }),
        hiddenLayers: [
          (input) =>
            factorizedFeedForward(
              { height: OUTPUT_SIZE, rank: 4, seed: 15, frobeniusDecay: frobeniusDecayCoefficient },
              input,
            ),
        ],
        outputLayer: (input) => columnTarget({ height: OUTPUT_SIZE }, input),
      });
      net.train(data, { iterations: 20, errorThresh: 0.001 });
      return frobeniusNorm(factorizedLayers(net)[0].collapse());
    };

    expect(productNorm(0.05)).toBeLessThan(0.9 * productNorm(0));
  });
});
