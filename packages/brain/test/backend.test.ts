import { InvalidArgumentError, UnsupportedError } from '@factorized/core';
import { FeedForward, layer } from 'brain.js';
import gpu from 'gpu.js';

import type { BrainBackendMode } from '../src/index.js';
import { columnTarget, factorizedFeedForward, setBrainBackend } from '../src/index.js';
import { captureError } from './helpers.js';

// Each jest test file loads brain.js afresh, so brain.js has no gpu.js instance yet here.
describe('setBrainBackend', () => {
  // The default import is the module's exports object, which brain.js reads GPU from.
  const originalGPU = gpu.GPU;

  it('selects cpu kernels before first use', () => {
    expect(setBrainBackend('cpu')).toEqual({ mode: 'cpu', kernelMode: 'cpu', created: true });
  });

  it('restores the GPU export of gpu.js', () => {
    expect(gpu.GPU).toBe(originalGPU);
  });

  it('runs network kernels on the cpu', () => {
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: 3 }),
      hiddenLayers: [(input) => factorizedFeedForward({ height: 4, rank: 2, seed: 1 }, input)],
      outputLayer: (input) => columnTarget({ height: 4 }, input),
    });
    net.initialize();
    const multiply = (net.layers ?? []).find((candidate) => candidate instanceof layer.Multiply);

    expect((multiply?.predictKernel as unknown as { kernel: unknown }).kernel).toBeInstanceOf(gpu.CPUKernel);
  });

  it('accepts the same mode again', () => {
    expect(setBrainBackend('cpu')).toEqual({ mode: 'cpu', kernelMode: 'cpu', created: false });
  });

  it('rejects another mode once created', () => {
    const error = captureError(() => setBrainBackend('webasm'));

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain("already runs its layer kernels in gpu.js mode 'cpu'");
  });

  it('rejects an unknown mode', () => {
    const error = captureError(() => setBrainBackend('metal' as BrainBackendMode));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('mode');
  });
});
