import { FeedForward, layer } from 'brain.js';
import * as gpu from 'gpu.js';

import { columnTarget, factorizedFeedForward, setBrainBackend } from '../src/index.js';
import { runFlat } from './helpers.js';

// brain.js' own choice, new GPU({ mode: 'gpu' }), in a fresh brain.js module: headless GL when
// the optional `gl` package is built, else gpu.js' WebAssembly backend.
describe("brain.js default 'gpu' mode", () => {
  const withGl = gpu.GPU.isHeadlessGLSupported;

  it('picks headless GL or WebAssembly', () => {
    const backend = setBrainBackend('gpu');

    expect(backend.kernelMode).toBe(withGl ? 'gpu' : 'webasm');
  });

  it('trains factorized XOR', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const net = new FeedForward({
      inputLayer: () => layer.input({ height: 2 }),
      hiddenLayers: [(input) => factorizedFeedForward({ height: 6, rank: 2, seed: 1 }, input)],
      outputLayer: (input) => columnTarget({ height: 1 }, factorizedFeedForward({ height: 1, rank: 1, seed: 101 }, input)),
    });
    const data = [
      { input: [0, 0], output: [0] },
      { input: [0, 1], output: [1] },
      { input: [1, 0], output: [1] },
      { input: [1, 1], output: [0] },
    ];
    net.train(data, { iterations: 3000, errorThresh: 0.005 });
    const rounded = data.map(({ input }) => Math.round(runFlat(net, input)[0]));
    const warnings = warn.mock.calls.map((call) => String(call[0]));
    warn.mockRestore();

    expect(rounded).toEqual([0, 1, 1, 0]);
    // gpu.js runs brain.js' optimizer (a kernel map) on the CPU and warns once per weight layer.
    expect(warnings.includes('Falling back to CPU: kernel maps are not supported on the webasm backend')).toBe(!withGl);
  });
});
