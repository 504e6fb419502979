import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, UnsupportedError } from '@factorized/core';
import type { FactorizedConv2DArgs, FactorizedDenseArgs } from '../src/index.js';
import { factorizedConv2d, factorizedDense, fileSystem } from '../src/index.js';
import { buildLayer } from './helpers.js';

/** Expects `create` to throw InvalidArgumentError whose message names `option` and shows `shown`. */
function expectInvalid(create: () => unknown, option: string, shown: string): void {
  let error: unknown;
  try {
    create();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).message).toContain(option);
  expect((error as InvalidArgumentError).message).toContain(shown);
}

const dense = (args: Partial<FactorizedDenseArgs>) => (): unknown => factorizedDense({ units: 4, ...args });
const conv = (args: Partial<FactorizedConv2DArgs>) => (): unknown =>
  factorizedConv2d({ filters: 4, kernelSize: 3, rank: 2, ...args });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FactorizedDense options', () => {
  it('rejects rank 0', () => expectInvalid(dense({ rank: 0 }), 'rank', 'got 0'));
  it('rejects rank 2.5', () => expectInvalid(dense({ rank: 2.5 }), 'rank', 'got 2.5'));
  it('rejects rankScale 0', () => expectInvalid(dense({ rankScale: 0 }), 'rankScale', 'got 0'));
  it('rejects negative rankScale', () => expectInvalid(dense({ rankScale: -0.5 }), 'rankScale', 'got -0.5'));
  it('rejects rank with rankScale', () =>
    expectInvalid(dense({ rank: 2, rankScale: 0.5 }), 'rank and rankScale', '"rank":2'));
  it('rejects a missing rank', () => expectInvalid(dense({}), 'rank', 'Missing rank'));
  it('rejects units 0', () => expectInvalid(dense({ rank: 1, units: 0 }), 'units', 'got 0'));
  it('rejects factors 4', () => expectInvalid(dense({ rank: 1, factors: 4 as 3 }), 'factors', 'got 4'));
  it('rejects an unknown initialization', () =>
    expectInvalid(dense({ rank: 1, initialization: 'svd' as 'spectral' }), 'initialization', '"svd"'));
  it('rejects negative frobeniusDecay', () =>
    expectInvalid(dense({ rank: 1, frobeniusDecay: -1 }), 'frobeniusDecay', 'got -1'));
  it('rejects NaN weightDecay', () => expectInvalid(dense({ rank: 1, weightDecay: NaN }), 'weightDecay', 'got NaN'));
  it('rejects a seed of 1.5', () => expectInvalid(dense({ rank: 1, seed: 1.5 }), 'seed', 'got 1.5'));
  it('rejects a seed that differs from the initializer seed', () =>
    expectInvalid(
      dense({ rank: 1, seed: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      'seed',
      'got 1',
    ));
  it('rejects an unknown kernelInitializer', () =>
    expectInvalid(dense({ rank: 1, kernelInitializer: 'glorotWide' }), 'kernelInitializer', '"glorotWide"'));
  it('rejects an unknown activation', () =>
    expectInvalid(dense({ rank: 1, activation: 'rectifier' }), 'activation', '"rectifier"'));
  it('rejects a non-activation class', () =>
    expectInvalid(dense({ rank: 1, activation: 'Zeros' }), 'activation', '"Zeros"'));
  it('rejects an unknown biasInitializer', () =>
    expectInvalid(dense({ rank: 1, biasInitializer: 'nonsense' }), 'biasInitializer', '"nonsense"'));
  it('rejects an unknown factorConstraint', () =>
    expectInvalid(dense({ rank: 1, factorConstraint: 'positive' }), 'factorConstraint', '"positive"'));
  it('rejects a non-boolean useBias', () => expectInvalid(dense({ rank: 1, useBias: 1 as never }), 'useBias', 'got 1'));
  it('rejects an unknown option', () => expectInvalid(dense({ rank: 1, rnak: 2 } as never), 'option', '"rnak"'));

  it('rejects kernelRegularizer with the alternatives', () => {
    const create = dense({ rank: 1, kernelRegularizer: tf.regularizers.l2() as never });
    expectInvalid(create, 'kernelRegularizer', 'frobeniusDecay');
    expect(create).toThrow(/weightDecay.*factorRegularizer/);
  });

  it('rejects kernelConstraint with the alternative', () =>
    expectInvalid(dense({ rank: 1, kernelConstraint: 'nonNeg' as never }), 'kernelConstraint', 'factorConstraint'));

  it('rejects rank above units when constructed', () => expectInvalid(dense({ rank: 5 }), 'rank', 'got 5'));

  it('rejects rank above a known input size', () =>
    expectInvalid(dense({ rank: 3, inputShape: [2] }), 'rank', 'got 3'));

  it('rejects rank above the input size when built', () => {
    const layer = factorizedDense({ units: 4, rank: 3 });
    expectInvalid(() => buildLayer(layer, [2]), 'rank', 'got 3');
  });

  it('accepts an overcomplete rank with standard initialization', () => {
    const layer = factorizedDense({ units: 4, rank: 6, overcomplete: true, initialization: 'standard', seed: 1 });
    buildLayer(layer, [3]);
    expect(layer.getWeights()[0].shape).toEqual([3, 6]);
    layer.dispose();
  });

  it('rejects an overcomplete spectral rank', () =>
    expectInvalid(dense({ rank: 6, overcomplete: true }), 'initialization', "'standard'"));
});

describe('FactorizedConv2D options', () => {
  it('rejects filters 0', () => expectInvalid(conv({ filters: 0 }), 'filters', 'got 0'));
  it('rejects an unknown scheme', () => expectInvalid(conv({ scheme: 'tucker' as 'paper' }), 'scheme', '"tucker"'));
  it('rejects kernelSize 0', () => expectInvalid(conv({ kernelSize: 0 }), 'kernelSize', 'got 0'));
  it('rejects a 3-D kernelSize', () =>
    expectInvalid(conv({ kernelSize: [3, 3, 3] as never }), 'kernelSize', '[3,3,3]'));
  it('rejects strides 1.5', () => expectInvalid(conv({ strides: 1.5 }), 'strides', 'got 1.5'));
  it('rejects causal padding', () => expectInvalid(conv({ padding: 'causal' as 'same' }), 'padding', '"causal"'));
  it('rejects an unknown dataFormat', () =>
    expectInvalid(conv({ dataFormat: 'nhwc' as 'channelsLast' }), 'dataFormat', '"nhwc"'));
  it('rejects rank 2.5', () => expectInvalid(conv({ rank: 2.5 }), 'rank', 'got 2.5'));

  it('rejects strides with dilation as unsupported', () => {
    const create = conv({ strides: 2, dilationRate: 2 });
    expect(create).toThrow(UnsupportedError);
    expect(create).toThrow(/not supported yet, got strides \[2, 2\] with dilationRate \[2, 2\]/);
  });

  it('rejects rank above the pointwise bound when built', () => {
    // 'pointwise' matricizes a [2, 2, 1, 8] kernel as 4 × 8, so the rank is at most 4.
    const layer = factorizedConv2d({ filters: 8, kernelSize: 2, rank: 4, scheme: 'pointwise' });
    expect(() => buildLayer(layer, [5, 5, 1])).not.toThrow();
    const larger = factorizedConv2d({ filters: 8, kernelSize: 2, rank: 5, scheme: 'pointwise' });
    expectInvalid(() => buildLayer(larger, [5, 5, 1]), 'rank', 'got 5');
    layer.dispose();
  });

  it('rejects rank above a known paper bound', () =>
    // 'paper' matricizes a [3, 3, 1, 4] kernel as (1·3) × (4·3), so the rank is at most 3.
    expectInvalid(conv({ rank: 4, inputShape: [5, 5, 1] }), 'rank', 'got 4'));
});

describe('fileSystem', () => {
  it('rejects an empty path', () => expectInvalid(() => fileSystem(''), 'path', '""'));
});
