import { FactorizedError, InvalidArgumentError, UnsupportedError } from '@factorized/core';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  checkTrainingSupport,
  describeBackend,
  MissingKernelError,
  TRAINING_KERNELS_CHECKED,
} from '../src/backend-check.js';
import { registerWasmConvTraining, unregisterWasmConvTraining } from '../src/wasm-conv-training.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

afterEach(async () => {
  unregisterWasmConvTraining();
  await tf.setBackend('wasm');
});

function convModel(options: { layers?: number; dilationRate?: number } = {}): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: [8, 8, 2] }));
  for (let index = 0; index < (options.layers ?? 1); index++) {
    model.add(
      tf.layers.conv2d({
        name: `conv${index}`,
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        dilationRate: options.dilationRate ?? 1,
      }),
    );
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ name: 'head', units: 3 }));
  return model;
}

function embeddingModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ name: 'tokens', inputDim: 10, outputDim: 4, inputLength: 5 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('checkTrainingSupport', () => {
  it('names the missing conv kernel', async () => {
    const model = convModel();

    const error = await rejection(checkTrainingSupport(model));

    expect(error).toBeInstanceOf(MissingKernelError);
    const missing = error as MissingKernelError;
    expect(missing).toBeInstanceOf(FactorizedError);
    expect(missing.kernelName).toBe('Conv2DBackpropFilter');
    expect(missing.backendName).toBe('wasm');
    expect(missing.layerName).toBe('conv0');
    expect(missing.message).toContain("import '@factorized/tfjs/wasm-conv-training'");
    expect(missing.message).toContain("train on a backend that has it ('cpu')");
    model.dispose();
  });

  it('passes after registration', async () => {
    registerWasmConvTraining();
    const model = convModel({ layers: 2 });

    const report = await checkTrainingSupport(model);

    expect(report.backend).toBe('wasm');
    expect(report.checkedLayers).toEqual(['conv0', 'conv1', expect.stringMatching(/^flatten/), 'head']);
    expect(report.kernels).toContain('Conv2DBackpropFilter');
    expect(report.kernels).toContain('Conv2DBackpropInput');
    model.dispose();
  });

  it('skips layers before any weights', async () => {
    registerWasmConvTraining();
    const model = tf.sequential();
    model.add(tf.layers.maxPooling2d({ name: 'pool', inputShape: [8, 8, 2], poolSize: 2 }));
    model.add(tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3 }));
    model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
    model.add(tf.layers.flatten({ name: 'flat' }));
    model.add(tf.layers.dense({ name: 'head', units: 3 }));

    const report = await checkTrainingSupport(model);

    expect(report.checkedLayers).toEqual(['conv', 'pool2', 'flat', 'head']);
    expect(report.kernels).toContain('MaxPoolGrad');
    model.dispose();
  });

  it('handles functional models', async () => {
    registerWasmConvTraining();
    const left = tf.input({ shape: [3], name: 'left' });
    const right = tf.input({ shape: [3], name: 'right' });
    const leftHidden = tf.layers.dense({ name: 'leftDense', units: 2 }).apply(left) as tf.SymbolicTensor;
    const rightHidden = tf.layers.dense({ name: 'rightDense', units: 2 }).apply(right) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([leftHidden, rightHidden]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ name: 'out', units: 1 }).apply(sum) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [left, right], outputs: output });

    const report = await checkTrainingSupport(model);

    expect([...report.checkedLayers].sort()).toEqual(['leftDense', 'out', 'rightDense', 'sum']);
    model.dispose();
  });

  it('skips stateful layers', async () => {
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ name: 'rnn', units: 2, stateful: true, batchInputShape: [1, 3, 2] }));
    model.add(tf.layers.dense({ name: 'head', units: 1 }));

    const report = await checkTrainingSupport(model);

    expect(report.skippedLayers).toEqual(['rnn']);
    expect(report.checkedLayers).toEqual(['head']);
    model.dispose();
  });

  it('names the embedding kernel', async () => {
    registerWasmConvTraining();
    const model = embeddingModel();

    const error = (await rejection(checkTrainingSupport(model))) as MissingKernelError;

    expect(error).toBeInstanceOf(MissingKernelError);
    expect(error.kernelName).toBe('UnsortedSegmentSum');
    expect(error.layerName).toBe('tokens');
    expect(error.message).not.toContain('wasm-conv-training');
    expect(error.message).toContain("train on a backend that has it ('cpu')");
    model.dispose();
  });

  it('checks another backend by name', async () => {
    await tf.setBackend('cpu');
    const model = convModel();

    const error = (await rejection(checkTrainingSupport(model, { backend: 'wasm' }))) as MissingKernelError;

    expect(error).toBeInstanceOf(MissingKernelError);
    expect(error.kernelName).toBe('Conv2DBackpropFilter');
    expect(error.backendName).toBe('wasm');
    model.dispose();
  });

  it('passes on cpu', async () => {
    await tf.setBackend('cpu');
    const model = embeddingModel();

    const report = await checkTrainingSupport(model);

    expect(report.backend).toBe('cpu');
    expect(report.kernels).toContain('UnsortedSegmentSum');
    model.dispose();
  });

  it('reports dilated conv gradients', async () => {
    await tf.setBackend('cpu');
    const model = convModel({ dilationRate: 2 });

    const error = await rejection(checkTrainingSupport(model));

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/Layer 'conv0' \(Conv2D\) failed .* dilation rates greater than 1/);
    model.dispose();
  });

  it('ignores frozen layers', async () => {
    const model = convModel();
    model.getLayer('conv0').trainable = false;

    const report = await checkTrainingSupport(model);

    expect(report.checkedLayers).toEqual(['head']);
    model.dispose();
  });

  it('restores batch-norm statistics', async () => {
    registerWasmConvTraining();
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [3], units: 2, biasInitializer: 'ones' }));
    model.add(tf.layers.batchNormalization({ name: 'norm', momentum: 0.5 }));
    const before = model.getLayer('norm').getWeights().map((weight) => Array.from(weight.dataSync()));

    await checkTrainingSupport(model);

    const after = model.getLayer('norm').getWeights().map((weight) => Array.from(weight.dataSync()));
    expect(after).toEqual(before);
    model.dispose();
  });

  it('leaks no tensors and stops profiling', async () => {
    const model = convModel();
    const before = tf.memory().numTensors;

    await rejection(checkTrainingSupport(model));
    registerWasmConvTraining();
    await checkTrainingSupport(model);

    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().state.profiling).toBe(false);
    model.dispose();
  });

  it('rejects an unknown backend', async () => {
    const model = convModel();

    const error = await rejection(checkTrainingSupport(model, { backend: 'webgpu' }));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/options\.backend.*'cpu'.*'wasm'.*"webgpu"/);
    model.dispose();
  });

  it('rejects an unknown option', async () => {
    const model = convModel();

    const error = await rejection(checkTrainingSupport(model, { backnd: 'cpu' } as never));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    model.dispose();
  });

  it('rejects a non-model', async () => {
    const error = await rejection(checkTrainingSupport({} as tf.LayersModel));

    expect(error).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('describeBackend', () => {
  it('lists missing wasm kernels', () => {
    const description = describeBackend();

    expect(description.name).toBe('wasm');
    expect(description.registered).toEqual(expect.arrayContaining(['cpu', 'wasm']));
    expect(description.tensorflowNode).toBe(false);
    expect(description.missingTrainingKernels).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
    ]);
  });

  it('shrinks after registration', () => {
    registerWasmConvTraining();

    expect(describeBackend().missingTrainingKernels).toEqual(['UnsortedSegmentSum']);
  });

  it('finds nothing missing on cpu', async () => {
    await tf.setBackend('cpu');

    expect(describeBackend().missingTrainingKernels).toEqual([]);
    expect(TRAINING_KERNELS_CHECKED).toContain('Conv2DBackpropFilter');
  });
});
