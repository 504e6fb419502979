import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@factorized/core';
import { collapse, denseFans, initializeFactors, resolveFactorizationOptions } from '@factorized/core';
import { FactorizedDense, factorizedDense, layers } from '../src/index.js';
import { buildLayer, describeEachBackend, expectClose, randomTensor, toMatrix } from './helpers.js';

/** Builds a plain tf.layers.dense whose kernel is the collapsed product of `layer`'s factors. */
function plainDenseFrom(layer: FactorizedDense, activation: string): tf.layers.Layer {
  const weights = layer.getWeights();
  const left = toMatrix(weights[0]);
  const kernel =
    weights.length === 4
      ? collapse({ left, middle: toMatrix(weights[1]), right: toMatrix(weights[2]) })
      : collapse({ left, right: toMatrix(weights[1]) });
  const bias = weights[weights.length - 1];
  return tf.layers.dense({
    units: layer.units,
    activation: activation as 'linear',
    weights: [tf.tensor(kernel.toFloat32Array(), [kernel.rows, kernel.columns]), bias],
  });
}

describeEachBackend('FactorizedDense', () => {
  it('gives the symbolic output shape', () => {
    const input = tf.input({ shape: [7, 12] });
    const output = factorizedDense({ units: 5, rank: 3, seed: 1 }).apply(input) as tf.SymbolicTensor;
    expect(output.shape).toEqual([null, 7, 5]);
  });

  it('gives the eager output shape', () => {
    const layer = factorizedDense({ units: 5, rank: 3, seed: 1 });
    const output = tf.tidy(() => (layer.apply(randomTensor(2, [4, 3, 12])) as tf.Tensor).shape);
    expect(output).toEqual([4, 3, 5]);
    layer.dispose();
  });

  it('exposes the layers factory', () => {
    expect(layers.factorizedDense({ units: 3, rank: 1 })).toBeInstanceOf(FactorizedDense);
  });

  it('names its weights left, right and bias', () => {
    const layer = factorizedDense({ units: 4, rank: 2, seed: 3, name: 'named_dense' });
    buildLayer(layer, [6]);
    expect(layer.weights.map((weight) => weight.originalName)).toEqual([
      'named_dense/left',
      'named_dense/right',
      'named_dense/bias',
    ]);
    layer.dispose();
  });

  it('adds a middle weight for three factors', () => {
    const layer = factorizedDense({ units: 4, rank: 2, factors: 3, seed: 3, name: 'three_factor_dense' });
    buildLayer(layer, [6]);
    expect(layer.weights.map((weight) => weight.shape)).toEqual([[6, 2], [2, 2], [2, 4], [4]]);
    layer.dispose();
  });

  it('equals a dense layer with the collapsed kernel', () => {
    const layer = factorizedDense({ units: 9, rank: 4, seed: 5, activation: 'relu', biasInitializer: 'randomNormal' });
    const input = randomTensor(6, [8, 13]);
    const output = layer.apply(input) as tf.Tensor;
    const plain = plainDenseFrom(layer, 'relu');
    const expected = plain.apply(input) as tf.Tensor;
    expectClose(output, expected);
    tf.dispose([input, output, expected]);
    layer.dispose();
    plain.dispose();
  });

  it('equals the collapsed kernel with three factors', () => {
    const layer = factorizedDense({
      units: 6,
      rank: 3,
      factors: 3,
      initialization: 'standard',
      seed: 7,
      activation: 'tanh',
    });
    const input = randomTensor(8, [5, 10]);
    const output = layer.apply(input) as tf.Tensor;
    const plain = plainDenseFrom(layer, 'tanh');
    const expected = plain.apply(input) as tf.Tensor;
    expectClose(output, expected);
    tf.dispose([input, output, expected]);
    layer.dispose();
    plain.dispose();
  });

  it('equals the collapsed kernel on 3-D input', () => {
    const layer = factorizedDense({ units: 4, rank: 2, seed: 9, useBias: false });
    const input = randomTensor(10, [2, 3, 6]);
    const output = layer.apply(input) as tf.Tensor;
    const [left, right] = layer.getWeights().map(toMatrix);
    const kernel = collapse({ left, right });
    const expected = tf.matMul(input.reshape([6, 6]), tf.tensor(kernel.toFloat32Array(), [6, 4])).reshape([2, 3, 4]);
    expectClose(output, expected);
    tf.dispose([input, output, expected]);
    layer.dispose();
  });

  it("matches core's spectral factors for a seed", () => {
    const layer = factorizedDense({ units: 12, rank: 5, seed: 11, kernelInitializer: 'heUniform' });
    buildLayer(layer, [20]);
    const resolved = resolveFactorizationOptions({ rank: 5, seed: 11, kernelInitializer: 'heUniform' }, 20, 12);
    const expected = initializeFactors(resolved, 20, 12, denseFans(20, 12));
    const [left, right] = layer.getWeights();
    expectClose(left, expected.left);
    expectClose(right, expected.right);
    layer.dispose();
  });

  it("matches core's standard factors for a seed", () => {
    const options = {
      rank: 3,
      factors: 3 as const,
      initialization: 'standard' as const,
      seed: 12,
      kernelInitializer: 'orthogonal' as const,
    };
    const layer = factorizedDense({ units: 7, ...options });
    buildLayer(layer, [9]);
    const expected = initializeFactors(resolveFactorizationOptions(options, 9, 7), 9, 7);
    const [left, middle, right] = layer.getWeights();
    expectClose(left, expected.left);
    expectClose(middle, (expected as { middle: Matrix }).middle);
    expectClose(right, expected.right);
    layer.dispose();
  });

  it('uses glorotNormal like tf.layers.dense', () => {
    const layer = factorizedDense({ units: 3, rank: 1 });
    expect(layer.kernelInitializer.name).toBe('glorotNormal');
  });

  it('accepts a tfjs initializer object', () => {
    const layer = factorizedDense({
      units: 6,
      rank: 2,
      seed: 13,
      kernelInitializer: tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform' }),
    });
    buildLayer(layer, [4]);
    const resolved = resolveFactorizationOptions({ rank: 2, seed: 13, kernelInitializer: 'heUniform' }, 4, 6);
    const expected = initializeFactors(resolved, 4, 6);
    expectClose(layer.getWeights()[0], expected.left);
    layer.dispose();
  });

  it('takes initial weights from the weights option', () => {
    const weights = [randomTensor(14, [5, 2]), randomTensor(15, [2, 3]), randomTensor(16, [3])];
    const layer = factorizedDense({ units: 3, rank: 2, inputDim: 5, weights });
    const output = layer.apply(tf.ones([1, 5])) as tf.Tensor;
    const actual = layer.getWeights();
    weights.forEach((weight, index) => expectClose(actual[index], weight, 0));
    tf.dispose([...weights, output]);
    layer.dispose();
  });

  it('computes the gradients of autodiff', () => {
    const layer = factorizedDense({ units: 5, rank: 3, factors: 3, initialization: 'standard', seed: 17 });
    const input = randomTensor(18, [6, 7]);
    buildLayer(layer, [7]);
    const [left, middle, right] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const squaredOutput = (): tf.Scalar => tf.sum(tf.square(layer.apply(input) as tf.Tensor));
    const reference = (): tf.Scalar =>
      tf.sum(
        tf.square(
          tf.add(tf.matMul(tf.matMul(tf.matMul(input, left), middle), right), layer.trainableWeights[3].read()),
        ),
      );
    const actual = tf.variableGrads(squaredOutput, [left, middle, right]);
    const expected = tf.variableGrads(reference, [left, middle, right]);
    for (const variable of [left, middle, right]) {
      expectClose(actual.grads[variable.name], expected.grads[variable.name]);
    }
    const inputGradient = tf.grad((x: tf.Tensor) => tf.sum(tf.square(layer.apply(x) as tf.Tensor)))(input);
    const expectedInputGradient = tf.grad((x: tf.Tensor) =>
      tf.sum(
        tf.square(tf.add(tf.matMul(tf.matMul(tf.matMul(x, left), middle), right), layer.trainableWeights[3].read())),
      ),
    )(input);
    expectClose(inputGradient, expectedInputGradient);
    tf.dispose([input, actual.value, expected.value, inputGradient, expectedInputGradient]);
    tf.dispose(Object.values(actual.grads));
    tf.dispose(Object.values(expected.grads));
    layer.dispose();
  });

  it('trains with model.fit', async () => {
    const model = tf.sequential({ layers: [factorizedDense({ units: 1, rank: 1, inputShape: [4], seed: 19 })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = randomTensor(20, [32, 4]);
    const y = tf.sum(x, 1, true);
    const history = await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[4]).toBeLessThan(losses[0]);
    tf.dispose([x, y]);
    model.dispose();
  });
});
