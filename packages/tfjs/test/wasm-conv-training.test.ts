import { SeededRandom } from '@factorized/core';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { MissingBackendError } from '../src/backend-check.js';
// The side-effect entry registers the kernels now, before the backend initializes.
import '../src/wasm-conv-training-register.js';
import { registerWasmConvTraining, unregisterWasmConvTraining } from '../src/wasm-conv-training.js';
import { ADDED_WASM_KERNELS, REPLACED_WASM_KERNELS } from '../src/wasm-kernels/provided-kernels.js';

// NOTE: in Node the wasm backend loads its .wasm files from its own package folder, so jest
// needs no setWasmPaths. Importing the package and awaiting tf.setBackend('wasm') is enough.

// The kernels accumulate at most a few hundred float32 products of O(1) values. Rounding
// then gives errors near √n·2⁻²⁴·‖terms‖ ≈ 1e-6 (observed: below 1e-5); 1e-4 leaves margin
// while an indexing error shows up as an O(1) difference.
const TOLERANCE = 1e-4;

type Shape4 = [number, number, number, number];

interface KernelCase {
  name: string;
  xShape: Shape4;
  filterShape: Shape4;
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
}

const convCases: KernelCase[] = [
  { name: '3x3 valid', xShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 4], strides: 1, pad: 'valid' },
  { name: '3x3 same', xShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 4], strides: 1, pad: 'same' },
  { name: '3x3 stride 2 same', xShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 4], strides: 2, pad: 'same' },
  { name: '3x3 stride 2 valid, odd size', xShape: [2, 9, 7, 3], filterShape: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { name: 'stride [1, 3] valid, unused rows', xShape: [1, 10, 10, 2], filterShape: [4, 2, 2, 3], strides: [1, 3], pad: 'valid' },
  { name: 'numeric pad 2', xShape: [2, 6, 6, 2], filterShape: [3, 3, 2, 3], strides: 1, pad: 2 },
  {
    name: 'explicit pads',
    xShape: [2, 7, 6, 2],
    filterShape: [3, 2, 2, 3],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [0, 3], [0, 0]],
  },
  { name: '1x5 same', xShape: [2, 6, 9, 4], filterShape: [1, 5, 4, 2], strides: 1, pad: 'same' },
  { name: '5x1 same', xShape: [2, 9, 6, 2], filterShape: [5, 1, 2, 4], strides: 1, pad: 'same' },
  { name: '1x1', xShape: [3, 5, 5, 6], filterShape: [1, 1, 6, 4], strides: 1, pad: 'valid' },
  { name: '1x1 stride 2', xShape: [3, 5, 5, 6], filterShape: [1, 1, 6, 4], strides: 2, pad: 'same' },
  { name: '3x3 same NCHW', xShape: [2, 3, 8, 8], filterShape: [3, 3, 3, 4], strides: 1, pad: 'same', dataFormat: 'NCHW' },
  { name: '1x1 NCHW', xShape: [2, 4, 5, 5], filterShape: [1, 1, 4, 3], strides: 1, pad: 'valid', dataFormat: 'NCHW' },
  { name: 'stride 2 NCHW', xShape: [2, 2, 9, 9], filterShape: [3, 3, 2, 3], strides: 2, pad: 'valid', dataFormat: 'NCHW' },
];

const depthwiseCases: KernelCase[] = [
  { name: 'multiplier 1 same', xShape: [2, 7, 7, 3], filterShape: [3, 3, 3, 1], strides: 1, pad: 'same' },
  { name: 'multiplier 2 valid', xShape: [2, 8, 6, 2], filterShape: [3, 2, 2, 2], strides: 1, pad: 'valid' },
  { name: 'stride 2 same', xShape: [1, 9, 9, 4], filterShape: [3, 3, 4, 3], strides: 2, pad: 'same' },
  { name: 'explicit pads', xShape: [2, 6, 6, 2], filterShape: [2, 3, 2, 1], strides: [2, 1], pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
];

beforeAll(async () => {
  await tf.setBackend('wasm');
});

afterAll(() => {
  unregisterWasmConvTraining();
});

describe('wasm-conv-training-register entry', () => {
  afterAll(() => {
    unregisterWasmConvTraining();
  });

  it('registers on import', () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(registerWasmConvTraining()).toEqual([]);
  });

  // The NCHW input gradient runs the native kernel, whose setup had to survive the
  // replacement made before tf.setBackend('wasm').
  it('NCHW input gradient matches cpu', async () => {
    const testCase = convCases.find((candidate) => candidate.name === '3x3 same NCHW') as KernelCase;
    const { dy, filter } = convInputs(testCase, 8);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dataFormat: 'NCHW', inputShape: testCase.xShape };
    const run = () => tf.tidy(() => runKernel(tf.Conv2DBackpropInput, { dy: dy(), filter: filter() }, attrs));

    const expected = await runOn('cpu', run);
    const actual = await runOn('wasm', run);

    expectClose(actual.values, expected.values);
  });
});

describe('registerWasmConvTraining', () => {
  let nativeBackpropInput: tf.KernelConfig;

  beforeAll(() => {
    nativeBackpropInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  });

  afterEach(() => {
    unregisterWasmConvTraining();
  });

  it('registers every provided kernel', () => {
    const registered = registerWasmConvTraining();

    expect([...registered].sort()).toEqual([...ADDED_WASM_KERNELS, ...REPLACED_WASM_KERNELS].sort());
    for (const kernelName of [...ADDED_WASM_KERNELS, ...REPLACED_WASM_KERNELS]) {
      expect(tf.getKernel(kernelName, 'wasm')).toBeDefined();
    }
  });

  it('second call registers nothing', () => {
    registerWasmConvTraining();
    const filterKernel = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    const inputKernel = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');

    expect(registerWasmConvTraining()).toEqual([]);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(filterKernel);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toBe(inputKernel);
  });

  it('keeps the native setup function', () => {
    registerWasmConvTraining();

    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm').setupFunc).toBe(nativeBackpropInput.setupFunc);
  });

  it('unregister restores the native kernels', () => {
    registerWasmConvTraining();
    const removed = unregisterWasmConvTraining();

    expect([...removed].sort()).toEqual([...ADDED_WASM_KERNELS, ...REPLACED_WASM_KERNELS].sort());
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toBe(nativeBackpropInput);
  });

  it('keeps a kernel registered by others', () => {
    const custom: tf.KernelFunc = () => {
      throw new Error('not called');
    };
    tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: custom });

    try {
      expect(registerWasmConvTraining()).not.toContain(tf.Conv2DBackpropFilter);
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm').kernelFunc).toBe(custom);
      expect(unregisterWasmConvTraining()).not.toContain(tf.Conv2DBackpropFilter);
    } finally {
      tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    }
  });

  it('rejects a missing wasm backend', async () => {
    const factory = tf.findBackendFactory('wasm');
    await tf.setBackend('cpu');
    tf.removeBackend('wasm');

    try {
      expect(() => registerWasmConvTraining()).toThrow(MissingBackendError);
      expect(() => registerWasmConvTraining()).toThrow(/Import '@tensorflow\/tfjs-backend-wasm' before/);
    } finally {
      tf.registerBackend('wasm', factory, 2);
      await tf.setBackend('wasm');
    }
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(() => {
    registerWasmConvTraining();
  });

  it.each(convCases)('matches cpu: $name', async (testCase) => {
    const { x, dy } = convInputs(testCase, 1);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dataFormat: testCase.dataFormat ?? 'NHWC', filterShape: testCase.filterShape };
    const run = () => tf.tidy(() => runKernel(tf.Conv2DBackpropFilter, { x: x(), dy: dy() }, attrs));

    const expected = await runOn('cpu', run);
    const actual = await runOn('wasm', run);

    expect(actual.shape).toEqual(testCase.filterShape);
    expectClose(actual.values, expected.values);
  });

  it('leaks no backend data', () => {
    const testCase = convCases[2];
    const { x, dy } = convInputs(testCase, 2);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dataFormat: 'NHWC', filterShape: testCase.filterShape };
    const xTensor = x();
    const dyTensor = dy();
    const dataIdsBefore = tf.backend().numDataIds();
    const tensorsBefore = tf.memory().numTensors;

    tf.dispose(runKernel(tf.Conv2DBackpropFilter, { x: xTensor, dy: dyTensor }, attrs));

    expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose([xTensor, dyTensor]);
  });

  it('rejects a dy of the wrong shape', () => {
    const x = tf.zeros([1, 6, 6, 2]);
    const dy = tf.zeros([1, 5, 5, 3]);

    expect(() =>
      runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/dy has shape \[1, 5, 5, 3\].*outputs \[1, 4, 4, 3\]/);
    tf.dispose([x, dy]);
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  beforeAll(() => {
    registerWasmConvTraining();
  });

  it.each(convCases)('matches cpu: $name', async (testCase) => {
    const { dy, filter } = convInputs(testCase, 3);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dataFormat: testCase.dataFormat ?? 'NHWC', inputShape: testCase.xShape };
    const run = () => tf.tidy(() => runKernel(tf.Conv2DBackpropInput, { dy: dy(), filter: filter() }, attrs));

    const expected = await runOn('cpu', run);
    const actual = await runOn('wasm', run);

    expect(actual.shape).toEqual(testCase.xShape);
    expectClose(actual.values, expected.values);
  });

  it('leaks no backend data', () => {
    const testCase = convCases[6];
    const { dy, filter } = convInputs(testCase, 4);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dataFormat: 'NHWC', inputShape: testCase.xShape };
    const dyTensor = dy();
    const filterTensor = filter();
    const dataIdsBefore = tf.backend().numDataIds();

    tf.dispose(runKernel(tf.Conv2DBackpropInput, { dy: dyTensor, filter: filterTensor }, attrs));

    expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
    tf.dispose([dyTensor, filterTensor]);
  });
});

describe('empty convolutions on wasm', () => {
  beforeAll(() => {
    registerWasmConvTraining();
  });

  // A 3×3 valid convolution of a width-2 input has no output columns, so dy is empty.
  const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC' };

  it('filter gradient is zero', () => {
    const x = tf.ones([1, 8, 2, 3]);
    const dy = tf.zeros([1, 6, 0, 4]);

    const gradient = runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: [3, 3, 3, 4] });

    expect(gradient.shape).toEqual([3, 3, 3, 4]);
    expect(Array.from(gradient.dataSync())).toEqual(new Array<number>(108).fill(0));
    tf.dispose([x, dy, gradient]);
  });

  it('input gradient is zero', () => {
    const dy = tf.zeros([1, 6, 0, 4]);
    const filter = tf.ones([3, 3, 3, 4]);

    const gradient = runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: [1, 8, 2, 3] });

    expect(gradient.shape).toEqual([1, 8, 2, 3]);
    expect(Array.from(gradient.dataSync())).toEqual(new Array<number>(48).fill(0));
    tf.dispose([dy, filter, gradient]);
  });
});

describe('depthwise backprop kernels on wasm', () => {
  beforeAll(() => {
    registerWasmConvTraining();
  });

  it.each(depthwiseCases)('filter gradient matches cpu: $name', async (testCase) => {
    const { x, dy } = depthwiseInputs(testCase, 5);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dilations: 1, filterShape: testCase.filterShape };
    const run = () => tf.tidy(() => runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: x(), dy: dy() }, attrs));

    const expected = await runOn('cpu', run);
    const actual = await runOn('wasm', run);

    expect(actual.shape).toEqual(testCase.filterShape);
    expectClose(actual.values, expected.values);
  });

  it.each(depthwiseCases)('input gradient matches cpu: $name', async (testCase) => {
    const { dy, filter } = depthwiseInputs(testCase, 6);
    const attrs = { strides: testCase.strides, pad: testCase.pad, dilations: 1, inputShape: testCase.xShape };
    const run = () => tf.tidy(() => runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: dy(), filter: filter() }, attrs));

    const expected = await runOn('cpu', run);
    const actual = await runOn('wasm', run);

    expect(actual.shape).toEqual(testCase.xShape);
    expectClose(actual.values, expected.values);
  });

  it('rejects dilations above 1', () => {
    const x = tf.zeros([1, 6, 6, 2]);
    const dy = tf.zeros([1, 2, 2, 2]);

    expect(() =>
      runKernel(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x, dy },
        { strides: 1, pad: 'valid', dilations: 2, filterShape: [3, 3, 2, 1] },
      ),
    ).toThrow(/dilations of 1 only, got \[2, 2\]/);
    tf.dispose([x, dy]);
  });
});

interface LayerCase {
  name: string;
  layer: () => tf.layers.Layer;
  /** Shape of one sample; [8, 8, 2] unless given. */
  inputShape?: number[];
}

const layerCases: LayerCase[] = [
  { name: 'conv2d 3x3', layer: () => tf.layers.conv2d({ filters: 4, kernelSize: 3 }) },
  { name: 'conv2d stride 2', layer: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2 }) },
  { name: 'conv2d same', layer: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }) },
  {
    name: 'conv2d channelsFirst',
    layer: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' }),
    inputShape: [2, 8, 8],
  },
  { name: 'separableConv2d', layer: () => tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same' }) },
  { name: 'depthwiseConv2d stride 2', layer: () => tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2 }) },
  { name: 'conv2dTranspose stride 2', layer: () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'conv1d stride 2', layer: () => tf.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2 }), inputShape: [16, 2] },
];

describe('conv layer training on wasm', () => {
  beforeAll(() => {
    registerWasmConvTraining();
  });

  it.each(layerCases)('gradients match cpu: $name', async (testCase) => {
    const expected = await runOn('cpu', () => modelGradients(testCase));
    const actual = await runOn('wasm', () => modelGradients(testCase));

    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual.values, expected.values);
  });

  it('one SGD step matches cpu', async () => {
    const expected = await runOn('cpu', () => weightsAfterStep(layerCases[1], 'sgd'));
    const actual = await runOn('wasm', () => weightsAfterStep(layerCases[1], 'sgd'));

    expectClose(actual.values, expected.values);
  });

  it('one Adam step matches cpu', async () => {
    const expected = await runOn('cpu', () => weightsAfterStep(layerCases[2], 'adam'));
    const actual = await runOn('wasm', () => weightsAfterStep(layerCases[2], 'adam'));

    expectClose(actual.values, expected.values);
  });

  it('fit leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const model = tinyModel(layerCases[0]);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const { inputs, targets } = tinyBatch(layerCases[0], 7);
    await model.fit(inputs, targets, { epochs: 1, batchSize: 4, verbose: 0 });
    const before = tf.memory().numTensors;
    const dataIdsBefore = tf.backend().numDataIds();

    await model.fit(inputs, targets, { epochs: 1, batchSize: 4, verbose: 0 });

    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
    tf.dispose([inputs, targets]);
    model.dispose();
  });
});

/** Runs one kernel through the engine on the active backend. */
function runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(kernelName, inputs, attrs as tf.NamedAttrMap);
}

/** Values and shape of a tensor computed on one backend, read back as plain numbers. */
interface Result {
  shape: number[];
  values: Float32Array;
}

/** Runs `compute` on `backend`; it must dispose everything but the tensor it returns. */
async function runOn(backend: string, compute: () => tf.Tensor | Promise<tf.Tensor>): Promise<Result> {
  await tf.setBackend(backend);
  const tensor = await compute();
  const result = { shape: tensor.shape, values: tensor.dataSync() as Float32Array };
  tensor.dispose();
  return result;
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual).toHaveLength(expected.length);
  let scale = 1;
  let maxError = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    maxError = Math.max(maxError, Math.abs(actual[i] - expected[i]));
  }
  expect(maxError).toBeLessThanOrEqual(TOLERANCE * scale);
}

function seededValues(size: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: size }, () => random.nextNormal());
}

/** Tensor factories, so each backend builds its own inputs from the same values. */
function factory(shape: number[], seed: number): () => tf.Tensor {
  const values = seededValues(shape.reduce((product, size) => product * size, 1), seed);
  return () => tf.tensor(values, shape);
}

function convInputs(testCase: KernelCase, seed: number) {
  const dataFormat = testCase.dataFormat ?? 'NHWC';
  const xShape = testCase.xShape;
  const outShape = tf.backend_util.computeConv2DInfo(
    xShape,
    testCase.filterShape,
    testCase.strides,
    1,
    testCase.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  ).outShape;

  return {
    x: factory(xShape, seed),
    dy: factory(outShape, seed + 100),
    filter: factory(testCase.filterShape, seed + 200),
  };
}

function depthwiseInputs(testCase: KernelCase, seed: number) {
  const outShape = tf.backend_util.computeConv2DInfo(testCase.xShape, testCase.filterShape, testCase.strides, 1, testCase.pad, undefined, true).outShape;

  return {
    x: factory(testCase.xShape, seed),
    dy: factory(outShape, seed + 100),
    filter: factory(testCase.filterShape, seed + 200),
  };
}

/** Input → the layer under test → flatten → dense(3), with seeded weights. */
function tinyModel(testCase: LayerCase): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: testCase.inputShape ?? [8, 8, 2] }));
  model.add(testCase.layer());
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3 }));
  const initial = model
    .getWeights()
    .map((weight, index) => tf.mul(tf.tensor(seededValues(weight.size, 10 + index), weight.shape), 0.3));
  model.setWeights(initial);
  tf.dispose(initial);
  return model;
}

/** Creates a batch of four seeded samples and their regression targets. */
function tinyBatch(testCase: LayerCase, seed: number): { inputs: tf.Tensor; targets: tf.Tensor } {
  const shape = [4, ...(testCase.inputShape ?? [8, 8, 2])];
  const inputs = tf.tensor(seededValues(shape.reduce((product, size) => product * size, 1), seed), shape);
  const targets = tf.tensor(seededValues(4 * 3, seed + 1), [4, 3]);
  return { inputs, targets };
}

/** Computes every gradient of a mean-squared-error loss, concatenated in the model's weight order. */
function modelGradients(testCase: LayerCase): tf.Tensor {
  const model = tinyModel(testCase);
  const flat = tf.tidy(() => {
    const { inputs, targets } = tinyBatch(testCase, 20);
    const weights = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(targets, model.predict(inputs) as tf.Tensor),
      weights,
    );
    return tf.concat(weights.map((weight) => grads[weight.name].flatten()));
  });
  model.dispose();
  return flat;
}

/** Trains one step on a fixed batch and returns the model's weights, concatenated. */
async function weightsAfterStep(testCase: LayerCase, optimizer: 'sgd' | 'adam'): Promise<tf.Tensor> {
  const model = tinyModel(testCase);
  model.compile({ optimizer: optimizer === 'sgd' ? tf.train.sgd(0.1) : tf.train.adam(0.01), loss: 'meanSquaredError' });
  const { inputs, targets } = tinyBatch(testCase, 30);

  await model.trainOnBatch(inputs, targets);

  const flat = tf.tidy(() => tf.concat(model.getWeights().map((weight) => weight.flatten())));
  tf.dispose([inputs, targets]);
  model.optimizer.dispose();
  model.dispose();
  return flat;
}
