import * as tf from '@tensorflow/tfjs';
import { describeArchitecture, denseModelParameterCount, planFactorization } from '../src/architecture.js';
import { collapseFactorizedModel } from '../src/collapse.js';
import { RUN_NAMES } from '../src/config.js';
import type { ModelKind } from '../src/config.js';
import { buildModel } from '../src/models.js';
import { defineRun } from '../src/runs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('planFactorization', () => {
  const plan = planFactorization(describeArchitecture('mlp', 256), 0.1);

  it('keeps the classifier dense', () => {
    expect(plan.layers.find((layer) => layer.name === 'classifier')?.rank).toBeNull();
  });

  it('stays within the ratio', () => {
    expect(plan.parameters).toBeLessThanOrEqual(0.1 * plan.denseParameters);
  });

  it('shares one rank scale', () => {
    expect(plan.layers.map((layer) => layer.rank)).toEqual([14, 14, null]);
  });

  it('counts batch norm in the dense total', () => {
    expect(plan.denseParameters).toBe(784 * 256 + 256 * 256 + 256 * 10 + 10 + 2 * 4 * 256);
  });
});

describe.each<ModelKind>(['mlp', 'cnn'])('buildModel %s', (model) => {
  const architecture = describeArchitecture(model, 8);
  const plan = planFactorization(architecture, 0.3);

  it.each([...RUN_NAMES])('matches the planned parameters of %s', (run) => {
    const definition = defineRun(run, architecture, plan, 3);
    const built = buildModel(architecture, definition.variant, { seed: 1, weightDecay: 5e-4 });
    expect(built.countParams()).toBe(definition.trainedParameters);
    built.dispose();
  });

  it('builds the dense model at the dense count', () => {
    const definition = defineRun('dense', architecture, plan, 3);
    expect(definition.parameters).toBe(denseModelParameterCount(architecture));
  });

  it('repeats initial weights for a seed', () => {
    const variant = defineRun('low-rank+SI', architecture, plan, 3).variant;
    const first = buildModel(architecture, variant, { seed: 3, weightDecay: 0 });
    const second = buildModel(architecture, variant, { seed: 3, weightDecay: 0 });
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(first.getWeights()[0], second.getWeights()[0]))).dataSync()[0]);
    expect(difference).toBe(0);
  });

  it('outputs ten logits', () => {
    const built = buildModel(architecture, defineRun('low-rank', architecture, plan, 3).variant, { seed: 1, weightDecay: 0 });
    expect(built.outputs[0].shape).toEqual([null, 10]);
  });
});

describe.each<ModelKind>(['mlp', 'cnn'])('collapseFactorizedModel %s', (model) => {
  const architecture = describeArchitecture(model, 8);
  const plan = planFactorization(architecture, 0.3);

  it.each(['low-rank+SI+FD', 'overcomplete-KD'] as const)('predicts like the %s model', (run) => {
    const factorized = buildModel(architecture, defineRun(run, architecture, plan, 3).variant, { seed: 2, weightDecay: 0 });
    const collapsed = collapseFactorizedModel(factorized);
    const input = tf.randomUniform(model === 'mlp' ? [4, 784] : [4, 28, 28, 1], 0, 1, 'float32', 9);
    const difference = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(factorized.predict(input) as tf.Tensor, collapsed.predict(input) as tf.Tensor))).dataSync()[0],
    );
    // float32 sums over at most 784 products of values of order 1: well below 1e-4.
    expect(difference).toBeLessThan(1e-4);
  });

  it('collapses to the dense parameter count', () => {
    const factorized = buildModel(architecture, defineRun('overcomplete-KD', architecture, plan, 3).variant, { seed: 2, weightDecay: 0 });
    expect(collapseFactorizedModel(factorized).countParams()).toBe(plan.denseParameters);
  });
});
