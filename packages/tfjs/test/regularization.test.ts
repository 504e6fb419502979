import * as tf from '@tensorflow/tfjs';
import type { Factors, FactorTensors } from '@factorized/core';
import { frobeniusDecay, weightDecay } from '@factorized/core';
import {
  factorizedConv2d,
  factorizedDense,
  frobeniusDecayLoss,
  frobeniusDecayTensor,
  weightDecayTensor,
} from '../src/index.js';
import { frobeniusDecayTensorByAutodiff } from '../src/factor-penalties.js';
import type { FactorWeights } from '../src/index.js';
import { FactorizedLayer } from '../src/index.js';
import { buildLayer, describeEachBackend, expectClose, randomMatrix, toMatrix } from './helpers.js';

const LAMBDA = 0.3;

function factorSets(): { name: string; factors: Factors }[] {
  return [
    { name: 'two factors', factors: { left: randomMatrix(1, 9, 4), right: randomMatrix(2, 4, 7) } },
    // Rank 12 above 1.5·m·n/(m + n) = 3.3 takes the product form instead of the Gram form.
    { name: 'overcomplete two factors', factors: { left: randomMatrix(6, 5, 12), right: randomMatrix(7, 12, 4) } },
    {
      name: 'three factors',
      factors: { left: randomMatrix(3, 9, 4), middle: randomMatrix(4, 4, 4), right: randomMatrix(5, 4, 7) },
    },
  ];
}

function variablesOf(factors: Factors): FactorTensors<tf.Variable> {
  const toVariable = (matrix: { rows: number; columns: number; toFloat32Array(): Float32Array }): tf.Variable =>
    tf.variable(tf.tensor2d(matrix.toFloat32Array(), [matrix.rows, matrix.columns]));
  const variables: FactorTensors<tf.Variable> = { left: toVariable(factors.left), right: toVariable(factors.right) };
  if ('middle' in factors) {
    variables.middle = toVariable(factors.middle);
  }
  return variables;
}

function listOf(factors: FactorTensors<tf.Variable>): tf.Variable[] {
  return factors.middle === undefined ? [factors.left, factors.right] : [factors.left, factors.middle, factors.right];
}

/** Core's value of the layer's Frobenius-decay penalty, from the layer's factor values in float64. */
function corePenalty(layer: FactorizedLayer, coefficient: number): number {
  const factors = layer.factorTensors();
  const left = toMatrix(factors.left);
  const right = toMatrix(factors.right);
  const set = factors.middle === undefined ? { left, right } : { left, middle: toMatrix(factors.middle), right };
  return frobeniusDecay(set, coefficient).value;
}

describeEachBackend('Frobenius decay', () => {
  for (const { name, factors } of factorSets()) {
    it(`equals core's penalty, ${name}`, () => {
      const variables = variablesOf(factors);
      const penalty = frobeniusDecayTensor(variables, LAMBDA);
      expectClose(penalty, [frobeniusDecay(factors, LAMBDA).value]);
      tf.dispose([penalty, ...listOf(variables)]);
    });

    it(`equals core's gradients, ${name}`, () => {
      const variables = variablesOf(factors);
      const { value, grads } = tf.variableGrads(() => frobeniusDecayTensor(variables, LAMBDA), listOf(variables));
      const expected = frobeniusDecay(factors, LAMBDA).gradients;
      expectClose(grads[variables.left.name], expected.left);
      expectClose(grads[variables.right.name], expected.right);
      if (variables.middle !== undefined && expected.middle !== undefined) {
        expectClose(grads[variables.middle.name], expected.middle);
      }
      tf.dispose([value, ...Object.values(grads), ...listOf(variables)]);
    });

    it(`matches autodiff of the formula, ${name}`, () => {
      const variables = variablesOf(factors);
      const actual = tf.variableGrads(() => frobeniusDecayTensor(variables, LAMBDA), listOf(variables));
      const expected = tf.variableGrads(() => frobeniusDecayTensorByAutodiff(variables, LAMBDA), listOf(variables));
      expectClose(actual.value, expected.value);
      for (const variable of listOf(variables)) {
        expectClose(actual.grads[variable.name], expected.grads[variable.name]);
      }
      tf.dispose([actual.value, expected.value, ...Object.values(actual.grads), ...Object.values(expected.grads)]);
      tf.dispose(listOf(variables));
    });
  }

  it("adds core's penalty to the model.fit loss", async () => {
    const build = (frobeniusDecayCoefficient: number): tf.Sequential => {
      const model = tf.sequential({
        layers: [
          factorizedDense({ units: 6, rank: 3, seed: 1, inputShape: [8], frobeniusDecay: frobeniusDecayCoefficient }),
          factorizedDense({ units: 2, rank: 2, factors: 3, seed: 2, frobeniusDecay: frobeniusDecayCoefficient }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
      return model;
    };
    const withDecay = build(LAMBDA);
    const withoutDecay = build(0);
    const x = tf.tensor2d(randomMatrix(3, 16, 8).toFloat32Array(), [16, 8]);
    const y = tf.tensor2d(randomMatrix(4, 16, 2).toFloat32Array(), [16, 2]);
    const lossWith = (await withDecay.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).history.loss[0] as number;
    const lossWithout = (await withoutDecay.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).history
      .loss[0] as number;
    const expected = (withDecay.layers as FactorizedLayer[]).reduce(
      (sum, layer) => sum + corePenalty(layer, LAMBDA),
      0,
    );
    expectClose([lossWith - lossWithout], [expected]);
    tf.dispose([x, y]);
    withDecay.dispose();
    withoutDecay.dispose();
  });

  it('registers one loss per decayed layer', () => {
    const layer = factorizedDense({ units: 3, rank: 2, frobeniusDecay: LAMBDA, weightDecay: LAMBDA });
    buildLayer(layer, [4]);
    expect(layer.losses).toHaveLength(2);
    layer.dispose();
  });

  it("sums core's penalties in frobeniusDecayLoss", () => {
    const model = tf.sequential({
      layers: [
        factorizedConv2d({
          filters: 3,
          kernelSize: 3,
          rank: 2,
          seed: 5,
          inputShape: [6, 6, 2],
          frobeniusDecay: LAMBDA,
        }),
        tf.layers.flatten(),
        factorizedDense({ units: 4, rank: 2, seed: 6, frobeniusDecay: 2 * LAMBDA }),
        factorizedDense({ units: 2, rank: 1, seed: 7 }),
      ],
    });
    const layers = model.layers.filter((layer): layer is FactorizedLayer => layer instanceof FactorizedLayer);
    const expected = corePenalty(layers[0], LAMBDA) + corePenalty(layers[1], 2 * LAMBDA);
    const penalty = frobeniusDecayLoss(model);
    expectClose(penalty, [expected]);
    penalty.dispose();
    model.dispose();
  });

  it('gives core gradients through frobeniusDecayLoss', () => {
    const layer = factorizedDense({ units: 5, rank: 3, seed: 8, inputShape: [7], frobeniusDecay: LAMBDA });
    const model = tf.sequential({ layers: [layer] });
    const [left, right] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => frobeniusDecayLoss(model), [left, right]);
    const expected = frobeniusDecay({ left: toMatrix(left), right: toMatrix(right) }, LAMBDA).gradients;
    expectClose(grads[left.name], expected.left);
    expectClose(grads[right.name], expected.right);
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });

  it('gives zero for a model without decay', () => {
    const model = tf.sequential({ layers: [factorizedDense({ units: 2, rank: 1, inputShape: [3] })] });
    const penalty = frobeniusDecayLoss(model);
    expect(penalty.dataSync()[0]).toBe(0);
    penalty.dispose();
    model.dispose();
  });
});

describeEachBackend('weight decay', () => {
  for (const { name, factors } of factorSets()) {
    it(`equals core's value and gradients, ${name}`, () => {
      const variables = variablesOf(factors);
      const { value, grads } = tf.variableGrads(() => weightDecayTensor(variables, LAMBDA), listOf(variables));
      const expected = weightDecay(factors, LAMBDA);
      expectClose(value, [expected.value]);
      expectClose(grads[variables.left.name], expected.gradients.left);
      expectClose(grads[variables.right.name], expected.gradients.right);
      tf.dispose([value, ...Object.values(grads), ...listOf(variables)]);
    });
  }

  it("adds core's baseline to the model.fit loss", async () => {
    const build = (coefficient: number): tf.Sequential => {
      const model = tf.sequential({
        layers: [factorizedDense({ units: 3, rank: 2, seed: 9, inputShape: [5], weightDecay: coefficient })],
      });
      model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
      return model;
    };
    const withDecay = build(LAMBDA);
    const withoutDecay = build(0);
    const x = tf.tensor2d(randomMatrix(10, 8, 5).toFloat32Array(), [8, 5]);
    const y = tf.tensor2d(randomMatrix(11, 8, 3).toFloat32Array(), [8, 3]);
    const lossWith = (await withDecay.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 })).history.loss[0] as number;
    const lossWithout = (await withoutDecay.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 })).history
      .loss[0] as number;
    const [left, right] = withDecay.layers[0].getWeights().slice(0, 2).map(toMatrix);
    expectClose([lossWith - lossWithout], [weightDecay({ left, right }, LAMBDA).value]);
    tf.dispose([x, y]);
    withDecay.dispose();
    withoutDecay.dispose();
  });

  it('applies factorRegularizer to each factor', () => {
    const layer = factorizedDense({ units: 3, rank: 2, seed: 12, factorRegularizer: tf.regularizers.l2({ l2: 0.1 }) });
    buildLayer(layer, [4]);
    const [left, right] = layer.getWeights().slice(0, 2).map(toMatrix);
    const losses = layer.calculateLosses();
    const expected = weightDecay({ left, right }, 0.2).value;
    expectClose([losses.reduce((sum, loss) => sum + loss.dataSync()[0], 0)], [expected]);
    tf.dispose(losses);
    layer.dispose();
  });

  it('attaches factorConstraint to each factor', () => {
    // tfjs 4.22 applies a LayerVariable's constraint when the variable is written with write(),
    // and model.fit does not call it (the same holds for tf.layers.dense's kernelConstraint).
    const layer = buildLayer(factorizedDense({ units: 2, rank: 2, seed: 13, factorConstraint: 'nonNeg' }), [3]);
    const { left, right } = layer.factorWeights as FactorWeights;
    left.write(tf.fill([3, 2], -1));
    right.write(tf.fill([2, 2], -1));
    expect(Math.min(...left.read().dataSync(), ...right.read().dataSync())).toBe(0);
    expect(left.constraint).toBe(layer.factorConstraint);
    layer.dispose();
  });
});
