import { describe, it } from '@jest/globals';
import type { FactorizedAdapter, Factors, RegularizerResult } from '@factorized/core';
import { Matrix } from '@factorized/core';
import { describeConformance } from '@factorized/adapter-testkit';
import { FeedForward, layer } from 'brain.js';

import type { FactorizedFullyConnectedSettings, FactorizedLayer, FeedForwardJSON } from '../src/index.js';
import {
  columnTarget,
  factorizedFullyConnected,
  factorizedLayers,
  feedForwardFromJSON,
  feedForwardToJSON,
  setBrainBackend,
} from '../src/index.js';
import { runFlat } from './helpers.js';

setBrainBackend('cpu');

/** A FeedForward network whose only weight layer is one linear factorized layer. */
interface NetworkHandle {
  net: FeedForward;
  layer: FactorizedLayer;
}

function networkWith(inputSize: number, settings: FactorizedFullyConnectedSettings): NetworkHandle {
  const net = new FeedForward({
    inputLayer: () => layer.input({ height: inputSize }),
    hiddenLayers: [(input) => factorizedFullyConnected(settings, input)],
    outputLayer: (input) => columnTarget({ height: settings.height }, input),
  });
  // initialize() builds the layers, so invalid settings throw here.
  net.initialize();
  return { net, layer: factorizedLayers(net)[0] };
}

/**
 * Value and gradients of one regularizer, as training adds them: the layer's own
 * regularizerGradients(), which `compare` adds to the deltas, with the other decay at 0.
 */
function regularizerOf(factors: Factors, decay: 'frobeniusDecay' | 'weightDecay', coefficient: number): RegularizerResult {
  const { layer: factorized } = networkWith(factors.left.rows, {
    height: factors.right.columns,
    initialFactors: factors,
    factors: 'middle' in factors ? 3 : 2,
    [decay]: coefficient,
  });
  return { value: factorized.regularization()[decay].value, gradients: factorized.regularizerGradients() };
}

const brainAdapter: FactorizedAdapter<NetworkHandle> = {
  name: '@factorized/brain',
  precision: 'float32',
  defaultKernelInitializer: 'glorotUniform',

  createLayer: ({ inputSize, outputSize, options }) =>
    networkWith(inputSize, { ...options, height: outputSize }),
  readFactors: ({ layer: factorized }) => factorized.getFactors(),
  collapse: ({ layer: factorized }) => factorized.collapse(),
  predict: ({ net }, inputs) => {
    const outputs: number[] = [];
    for (let row = 0; row < inputs.rows; row++) {
      outputs.push(...runFlat(net, inputs.data.subarray(row * inputs.columns, (row + 1) * inputs.columns)));
    }
    return Matrix.from(inputs.rows, outputs.length / inputs.rows, outputs);
  },
  frobeniusDecay: (factors, coefficient) => regularizerOf(factors, 'frobeniusDecay', coefficient),
  weightDecay: (factors, coefficient) => regularizerOf(factors, 'weightDecay', coefficient),
  saveAndLoad: ({ net }) => {
    const loaded = feedForwardFromJSON(JSON.parse(JSON.stringify(feedForwardToJSON(net))) as FeedForwardJSON);
    return { net: loaded, layer: factorizedLayers(loaded)[0] };
  },
};

describeConformance(brainAdapter, { describe, it });
