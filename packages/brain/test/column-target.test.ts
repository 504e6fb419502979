import { InvalidArgumentError } from '@factorized/core';
import { FeedForward, layer } from 'brain.js';

import { columnTarget, factorizedFeedForward, factorizedLayers, setBrainBackend } from '../src/index.js';
import { runFlat } from './helpers.js';

setBrainBackend('cpu');

const input = Float32Array.of(0.3, -0.7, 0.5);
const target = Float32Array.of(1, 0, 0.25);

type TargetFactory = (
  settings: Parameters<typeof layer.target>[0],
  inputLayer: Parameters<typeof layer.target>[1],
) => ReturnType<typeof layer.target>;

function networkEndingIn(makeTarget: TargetFactory): FeedForward {
  const net = new FeedForward({
    inputLayer: () => layer.input({ height: 3 }),
    hiddenLayers: [(inputLayer) => factorizedFeedForward({ height: 4, rank: 2, seed: 1 }, inputLayer)],
    outputLayer: (inputLayer) =>
      makeTarget({ height: 3 }, factorizedFeedForward({ height: 3, rank: 2, seed: 2 }, inputLayer)),
  });
  net.initialize();
  return net;
}

/** Runs one forward and backward step on (input, target) and returns the target layer's deltas. */
function outputDeltas(net: FeedForward): number[] {
  const internals = net as unknown as { runInput(x: Float32Array): unknown; _calculateDeltas(t: Float32Array): void };
  internals.runInput(input);
  internals._calculateDeltas(target);
  const layers = net.layers ?? [];
  return (layers[layers.length - 1].deltas as Float32Array[]).map((row) => row[0]);
}

describe('brain.js layer.target', () => {
  // Documents brain.js 2.0.0-beta.24: a column target is compared with target[0] in every row.
  it('compares every output with the first target', () => {
    const net = networkEndingIn((settings, inputLayer) => layer.target(settings, inputLayer));
    const outputs = runFlat(net, input);
    const deltas = outputDeltas(net);

    expect(deltas).toEqual(outputs.map((output) => Math.fround(output - target[0])));
  });
});

describe('columnTarget', () => {
  it('compares each output with its target', () => {
    const net = networkEndingIn(columnTarget);
    const outputs = runFlat(net, input);
    const deltas = outputDeltas(net);

    expect(deltas).toEqual(outputs.map((output, row) => Math.fround(output - target[row])));
  });

  it('gives factor gradients of the squared error', () => {
    const net = networkEndingIn(columnTarget);
    const loss = (): number =>
      runFlat(net, input).reduce((sum, output, row) => sum + 0.5 * (output - target[row]) ** 2, 0);
    outputDeltas(net);

    for (const factorized of factorizedLayers(net)) {
      for (const factor of [factorized.left, factorized.right]) {
        const analytic = (factor.deltas as Float32Array[]).map((row) => Array.from(row));
        const weights = factor.weights as Float32Array[];
        const step = 1e-2;
        let difference = 0;
        let magnitude = 0;

        analytic.forEach((row, y) => {
          row.forEach((value, x) => {
            const original = weights[y][x];
            weights[y][x] = original + step;
            const plus = loss();
            weights[y][x] = original - step;
            const minus = loss();
            weights[y][x] = original;
            difference = Math.max(difference, Math.abs((plus - minus) / (2 * step) - value));
            magnitude = Math.max(magnitude, Math.abs(value));
          });
        });

        // Central differences err by O(step²) from truncation and by about 2^-24·loss/step from
        // the float32 outputs. Both errors stay below 1 % of the largest gradient entry here.
        expect(difference).toBeLessThanOrEqual(0.01 * magnitude);
      }
    }
  });

  it('rejects a height unlike its input', () => {
    const inputLayer = layer.input({ height: 3 });

    expect(() => columnTarget({ height: 2 }, inputLayer)).toThrow(InvalidArgumentError);
  });
});
