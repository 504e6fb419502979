import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeArchitecture } from '../src/architecture.js';
import { PRESETS, RUN_NAMES } from '../src/config.js';
import type { ExperimentRequest } from '../src/options.js';
import { parseCommandLine, smallestRatio, UsageError } from '../src/options.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'options-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function request(...argv: string[]): Promise<ExperimentRequest> {
  const parsed = await parseCommandLine([...argv, '--out', join(folder, 'results')], () => undefined);
  if (parsed.kind !== 'run') {
    throw new Error('expected a run');
  }
  return parsed.request;
}

async function usageError(...argv: string[]): Promise<UsageError> {
  try {
    await parseCommandLine([...argv], () => undefined);
  } catch (error) {
    if (error instanceof UsageError) {
      return error;
    }
    throw error;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('uses the demo preset by default', async () => {
    const { width, epochs, trainSize, seeds } = await request();
    expect({ width, epochs, trainSize, seeds }).toEqual({
      width: PRESETS.demo.mlp.width,
      epochs: PRESETS.demo.mlp.epochs,
      trainSize: PRESETS.demo.mlp.trainSize,
      seeds: PRESETS.demo.mlp.seeds,
    });
  });

  it('switches to the full preset', async () => {
    const { preset, trainSize, seeds } = await request('--full');
    expect({ preset, trainSize, seeds }).toEqual({ preset: 'full', trainSize: PRESETS.full.mlp.trainSize, seeds: PRESETS.full.mlp.seeds });
  });

  it('uses the cnn preset for --model cnn', async () => {
    expect((await request('--model', 'cnn')).width).toBe(PRESETS.demo.cnn.width);
  });

  it('lets flags override the preset', async () => {
    expect((await request('--full', '--epochs', '3')).epochs).toBe(3);
  });

  it('reads every numeric flag', async () => {
    const parsed = await request(
      '--ratio', '0.25', '--seeds', '2', '--train-size', '500', '--validation-size', '100', '--test-size', '300',
      '--batch-size', '50', '--lr', '0.1', '--lr-decay', '0.5', '--lr-milestones', '0.3,0.6', '--momentum', '0',
      '--weight-decay', '1e-3', '--overcomplete-scale', '2', '--width', '32', '--workers', '1', '--first-seed', '7', '--data-seed', '3',
    );
    expect(parsed).toMatchObject({
      ratio: 0.25, seeds: 2, trainSize: 500, validationSize: 100, testSize: 300, batchSize: 50, learningRate: 0.1,
      learningRateDecay: 0.5, learningRateMilestones: [0.3, 0.6], momentum: 0, weightDecay: 1e-3, overcompleteScale: 2,
      width: 32, workers: 1, firstSeed: 7, dataSeed: 3,
    });
  });

  it('keeps runs in table order', async () => {
    expect((await request('--runs', 'low-rank+FD,dense')).runs).toEqual(['dense', 'low-rank+FD']);
  });

  it('trains all runs by default', async () => {
    expect((await request()).runs).toEqual([...RUN_NAMES]);
  });

  it('returns help without running', async () => {
    let printed = '';
    const parsed = await parseCommandLine(['--help'], (text) => {
      printed += text;
    });
    expect(parsed.kind).toBe('help');
    expect(printed).toMatch(/Presets[\s\S]*full mlp/);
  });

  it.each([
    [['--model', 'rnn'], /^Invalid --model "rnn": expected one of mlp, cnn\.$/],
    [['--ratio', '0'], /^Invalid --ratio "0": expected a number in \(0, 1\]\.$/],
    [['--ratio', '1.5'], /--ratio "1\.5"/],
    [['--ratio', 'half'], /--ratio "half"/],
    [['--ratio', '0.0001'], /^Invalid --ratio: expected at least 0\.0228 for mlp width 256 \(rank 1 in every factorized layer\), got 0\.0001\.$/],
    [['--epochs', '0'], /^Invalid --epochs "0": expected an integer from 1/],
    [['--epochs', '2.5'], /--epochs "2\.5"/],
    [['--seeds', 'three'], /--seeds "three"/],
    [['--backend', 'gpu'], /^Invalid --backend "gpu": expected one of auto, wasm, cpu, node\.$/],
    [['--runs', 'dense,sparse'], /--runs "dense,sparse": "sparse" is not one of/],
    [['--lr-milestones', '0.75,0.5'], /--lr-milestones "0\.75,0\.5": expected strictly ascending/],
    [['--train-size', '59000', '--validation-size', '2000'], /together they must be at most 60000/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--epochs'], /argument missing/],
    [['extra'], /too many arguments|excess|unknown command/i],
  ])('rejects %p', async (argv, message) => {
    const error = await usageError('--out', join(folder, 'ok'), ...argv);
    expect(error.message).toMatch(message);
  });

  it('rejects an --out below a file', async () => {
    const file = join(folder, 'a-file');
    await writeFile(file, '');
    const error = await usageError('--out', join(file, 'results'));
    expect(error.message).toMatch(/^Invalid --out ".*a-file\/results": .*a-file is not a directory\.$/);
  });

  it('accepts the smallest ratio it names', async () => {
    expect((await request('--ratio', String(smallestRatio(describeArchitecture('mlp', 256))))).ratio).toBe(0.0228);
  });

  it('accepts a new nested --out folder', async () => {
    const out = join(folder, 'new', 'nested', 'results');
    const parsed = await parseCommandLine(['--out', out], () => undefined);
    expect(parsed.kind).toBe('run');
  });

  it('leaves no trace of the --out check', async () => {
    const parent = join(folder, 'checked');
    await mkdir(parent);
    await parseCommandLine(['--out', join(parent, 'a', 'b')], () => undefined);
    expect(await readdir(parent)).toEqual([]);
  });

  it('keeps every message on one line', async () => {
    const error = await usageError('--ratio', '0.0001', '--out', join(folder, 'ok'));
    expect(error.message).not.toContain('\n');
  });
});
