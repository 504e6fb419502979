import * as tf from '@tensorflow/tfjs';
import type { ConvScheme } from '@factorized/core';
import {
  collapseConv,
  convFans,
  convMatrixShape,
  initializeFactors,
  resolveFactorizationOptions,
} from '@factorized/core';
import type { FactorizedConv2DArgs } from '../src/index.js';
import { FactorizedConv2D, factorizedConv2d, layers } from '../src/index.js';
import { buildLayer, describeEachBackend, expectClose, randomTensor, toMatrix } from './helpers.js';

/** Collapses the factors of a built layer into its kernel [kh, kw, in, out] with core's float64 collapse. */
function collapsedKernel(layer: FactorizedConv2D): tf.Tensor4D {
  const weights = layer.getWeights();
  const left = toMatrix(weights[0]);
  const right = toMatrix(weights[weights.length - (layer.useBias ? 2 : 1)]);
  const factors = layer.factorization?.factors === 3 ? { left, middle: toMatrix(weights[1]), right } : { left, right };
  const shape = layer.kernelShape as [number, number, number, number];
  return tf.tensor4d(Float32Array.from(collapseConv(factors, shape, layer.scheme)), shape);
}

interface ConvCase {
  name: string;
  args: Partial<FactorizedConv2DArgs>;
  inputShape: [number, number, number, number];
}

const CASES: ConvCase[] = [
  { name: 'valid 3×3', args: { kernelSize: 3 }, inputShape: [2, 7, 8, 3] },
  { name: 'same 3×3', args: { kernelSize: 3, padding: 'same' }, inputShape: [2, 7, 8, 3] },
  { name: 'same 3×5, strides 2', args: { kernelSize: [3, 5], padding: 'same', strides: 2 }, inputShape: [1, 9, 8, 3] },
  { name: 'valid 3×3, strides [2, 1]', args: { kernelSize: 3, strides: [2, 1] }, inputShape: [1, 9, 8, 3] },
  {
    name: 'same even 2×4, strides 2',
    args: { kernelSize: [2, 4], padding: 'same', strides: 2 },
    inputShape: [1, 7, 9, 2],
  },
  {
    name: 'same even 4×2, strides 3',
    args: { kernelSize: [4, 2], padding: 'same', strides: [3, 2] },
    inputShape: [1, 8, 7, 2],
  },
  { name: 'same 3×3, dilation 2', args: { kernelSize: 3, padding: 'same', dilationRate: 2 }, inputShape: [1, 9, 9, 2] },
  { name: 'valid 3×2, dilation [1, 3]', args: { kernelSize: [3, 2], dilationRate: [1, 3] }, inputShape: [1, 9, 9, 2] },
  {
    name: 'channelsFirst same',
    args: { kernelSize: 3, padding: 'same', dataFormat: 'channelsFirst' },
    inputShape: [2, 3, 6, 5],
  },
  {
    name: 'channelsFirst strides 2',
    args: { kernelSize: [3, 2], strides: 2, dataFormat: 'channelsFirst' },
    inputShape: [1, 2, 7, 8],
  },
  {
    name: 'three factors',
    args: { kernelSize: 3, padding: 'same', factors: 3, initialization: 'standard' },
    inputShape: [1, 6, 6, 3],
  },
];

describeEachBackend('FactorizedConv2D', () => {
  it('gives the symbolic output shape', () => {
    const input = tf.input({ shape: [9, 8, 3] });
    const layer = factorizedConv2d({ filters: 4, kernelSize: 3, strides: 2, rank: 2, seed: 1 });
    expect((layer.apply(input) as tf.SymbolicTensor).shape).toEqual([null, 4, 3, 4]);
  });

  it('gives the symbolic channelsFirst shape', () => {
    const input = tf.input({ shape: [3, 9, 8] });
    const layer = factorizedConv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      dataFormat: 'channelsFirst',
      rank: 2,
    });
    expect((layer.apply(input) as tf.SymbolicTensor).shape).toEqual([null, 4, 9, 8]);
  });

  it('gives the eager output shape', () => {
    const layer = factorizedConv2d({ filters: 4, kernelSize: [3, 2], rank: 2, seed: 2 });
    const shape = tf.tidy(() => (layer.apply(randomTensor(3, [2, 9, 8, 3])) as tf.Tensor).shape);
    expect(shape).toEqual([2, 7, 7, 4]);
    layer.dispose();
  });

  it('exposes the layers factory', () => {
    expect(layers.factorizedConv2d({ filters: 2, kernelSize: 1, rank: 1 })).toBeInstanceOf(FactorizedConv2D);
  });

  for (const scheme of ['paper', 'pointwise'] as ConvScheme[]) {
    for (const { name, args, inputShape } of CASES) {
      it(`equals conv2d with the collapsed kernel, ${scheme}, ${name}`, () => {
        const layer = factorizedConv2d({
          filters: 4,
          kernelSize: 3,
          rank: 2,
          seed: 4,
          scheme,
          activation: 'relu',
          biasInitializer: 'randomNormal',
          ...args,
        });
        const input = randomTensor(5, inputShape);
        const output = layer.apply(input) as tf.Tensor;
        const plain = tf.layers.conv2d({
          filters: layer.filters,
          kernelSize: layer.kernelSize,
          strides: layer.strides,
          padding: layer.padding,
          dataFormat: layer.dataFormat,
          dilationRate: layer.dilationRate,
          activation: 'relu',
          weights: [collapsedKernel(layer), layer.getWeights()[layer.getWeights().length - 1]],
        });
        const expected = plain.apply(input) as tf.Tensor;
        expect(output.shape).toEqual(expected.shape);
        expectClose(output, expected);
        tf.dispose([input, output, expected]);
        layer.dispose();
        plain.dispose();
      });
    }
  }

  it("matches core's spectral factors for a seed", () => {
    const layer = factorizedConv2d({ filters: 6, kernelSize: [3, 2], rank: 4, seed: 6, scheme: 'paper' });
    buildLayer(layer, [8, 8, 5]);
    const kernelShape: [number, number, number, number] = [3, 2, 5, 6];
    const [rows, columns] = convMatrixShape(kernelShape, 'paper');
    const resolved = resolveFactorizationOptions(
      { rank: 4, seed: 6, kernelInitializer: 'glorotNormal' },
      rows,
      columns,
    );
    const expected = initializeFactors(resolved, rows, columns, convFans(kernelShape));
    const [left, right] = layer.getWeights();
    expect(left.shape).toEqual([rows, 4]);
    expectClose(left, expected.left);
    expectClose(right, expected.right);
    layer.dispose();
  });

  it('names its weights left, right and bias', () => {
    const layer = factorizedConv2d({ filters: 3, kernelSize: 3, rank: 2, name: 'named_conv' });
    buildLayer(layer, [5, 5, 2]);
    expect(layer.weights.map((weight) => weight.originalName)).toEqual([
      'named_conv/left',
      'named_conv/right',
      'named_conv/bias',
    ]);
    layer.dispose();
  });
});

describe('FactorizedConv2D training [cpu]', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('computes the gradients of autodiff', () => {
    const layer = factorizedConv2d({ filters: 3, kernelSize: 3, padding: 'same', strides: 2, rank: 2, seed: 7 });
    const input = randomTensor(8, [2, 6, 5, 2]);
    buildLayer(layer, [6, 5, 2]);
    const [left, right] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const loss = (): tf.Scalar => tf.sum(tf.square(layer.apply(input) as tf.Tensor));
    const actual = tf.variableGrads(loss, [left, right]);

    // The same loss through the plain conv of the collapsed kernel, built with tfjs ops so that
    // autodiff reaches the factors: W[y, x, i, o] = Σ_s U[x·in + i, s] · V[s, y·out + o].
    const reference = (): tf.Scalar => {
      const product = tf.matMul(left, right).reshape([3, 2, 3, 3]);
      const kernel = tf.transpose(product, [2, 0, 1, 3]) as tf.Tensor4D;
      const output = tf.add(tf.conv2d(input as tf.Tensor4D, kernel, 2, 'same'), layer.trainableWeights[2].read());
      return tf.sum(tf.square(output));
    };
    const expected = tf.variableGrads(reference, [left, right]);
    expectClose(actual.grads[left.name], expected.grads[left.name]);
    expectClose(actual.grads[right.name], expected.grads[right.name]);
    tf.dispose([input, actual.value, expected.value, ...Object.values(actual.grads), ...Object.values(expected.grads)]);
    layer.dispose();
  });

  it('trains with model.fit', async () => {
    const model = tf.sequential({
      layers: [
        factorizedConv2d({ filters: 2, kernelSize: 3, padding: 'same', rank: 2, seed: 9, inputShape: [5, 5, 1] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const x = randomTensor(10, [16, 5, 5, 1]);
    const y = tf.sum(x, [1, 2, 3]).reshape([16, 1]);
    const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[4]).toBeLessThan(losses[0]);
    tf.dispose([x, y]);
    model.dispose();
  });
});
