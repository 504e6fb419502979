import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { InvalidArgumentError } from '@factorized/core';
import type { Architecture } from './architecture.js';
import { describeArchitecture, parameterCountWithRanks, planFactorization, weightMatrixShape } from './architecture.js';
import type { BackendChoice, ExperimentConfig, ModelKind, PresetName, PresetSettings, RunName } from './config.js';
import { COMMON_DEFAULTS, PRESETS, RUN_NAMES } from './config.js';
import { createFolders, errorCode, NotADirectoryError, removeFolders } from './folders.js';
import { MNIST_TEST_COUNT, MNIST_TRAIN_COUNT } from './mnist.js';

/** An experiment request from the command line. Its backend may still be `auto`. */
export type ExperimentRequest = Omit<ExperimentConfig, 'backend'> & { backend: BackendChoice };

/** A command-line mistake. Its message is one line naming the flag and the value; the CLI exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The result of parsing: an experiment to run, or help that was printed. */
export type ParsedCommandLine = { kind: 'run'; request: ExperimentRequest } | { kind: 'help' };

const MODELS: readonly ModelKind[] = ['mlp', 'cnn'];
const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'cpu', 'node'];

/** Creates the commander program with every flag, its unit and default, and the presets in the help's epilogue. */
export function createProgram(): Command {
  const demo = PRESETS.demo;
  const full = PRESETS.full;
  const presetDefault = (key: keyof PresetSettings, unit = ''): string =>
    `default: demo ${demo.mlp[key]}${unit} (cnn ${demo.cnn[key]}), --full ${full.mlp[key]}${unit} (cnn ${full.cnn[key]})`;

  return new Command()
    .name('mnist-compression')
    .description(
      'Trains a dense model on MNIST and low-rank twins at a target parameter ratio: standard initialization with weight decay, ' +
        'spectral initialization (SI), Frobenius decay (FD), SI and FD together, and an overcomplete twin trained with FD ' +
        'and collapsed into a dense model. Prints a table and writes results.json, results.md, an SVG chart and the best ' +
        'collapsed model under --out.',
    )
    .helpOption('-h, --help', 'show this help and exit')
    .option('--full', 'run the full protocol (55,000 training images, 3 seeds; the other 5,000 images of the training file are the validation split) instead of the demo preset')
    .addOption(new Option('--model <kind>', 'model family: mlp (784-width-width-10 with batch normalization) or cnn (two conv layers, one hidden dense layer); default: mlp'))
    .option('--width <units>', `MLP hidden units per layer, or CNN filters of the first conv layer; ${presetDefault('width')}`)
    .option('--ratio <fraction>', `parameters of each low-rank model as a fraction of the dense model's, in (0, 1]; default: ${COMMON_DEFAULTS.ratio}`)
    .option('--epochs <count>', `training epochs per run, a positive integer; ${presetDefault('epochs')}`)
    .option('--seeds <count>', `seeds per run, a positive integer (table shows mean ± std when above 1); ${presetDefault('seeds')}`)
    .option('--first-seed <integer>', `seed of the first repetition; the others follow; default: ${COMMON_DEFAULTS.firstSeed}`)
    .option('--data-seed <integer>', `seed of the train/validation/test draws; default: ${COMMON_DEFAULTS.dataSeed}`)
    .option('--train-size <images>', `training images drawn from the 60,000 of the MNIST training file; ${presetDefault('trainSize')}`)
    .option('--validation-size <images>', `validation images, disjoint from the training ones, used to pick the saved model; ${presetDefault('validationSize')}`)
    .option('--test-size <images>', `test images drawn from the 10,000 of the MNIST test file; ${presetDefault('testSize')}`)
    .option('--batch-size <images>', `images per SGD step; ${presetDefault('batchSize')}`)
    .option('--lr <rate>', `initial SGD learning rate; ${presetDefault('learningRate')}`)
    .option('--lr-decay <factor>', `learning-rate factor at each milestone, in (0, 1]; default: ${COMMON_DEFAULTS.learningRateDecay}`)
    .option('--lr-milestones <fractions>', `comma-separated fractions of the epochs, ascending in (0, 1), where the learning rate drops; default: ${COMMON_DEFAULTS.learningRateMilestones.join(',')}`)
    .option('--momentum <value>', `SGD momentum, in [0, 1); default: ${COMMON_DEFAULTS.momentum}`)
    .option('--weight-decay <lambda>', `λ of weight decay and of Frobenius decay, penalty (λ/2)·‖W‖² (PyTorch convention); default: ${COMMON_DEFAULTS.weightDecay}`)
    .option('--overcomplete-scale <scale>', `rank scale of the overcomplete twin, rank = scale·min(rows, columns), above 1; default: ${COMMON_DEFAULTS.overcompleteScale}`)
    .option('--runs <names>', `comma-separated runs to train, from ${RUN_NAMES.join(', ')}; default: all`)
    .option('--backend <name>', 'TensorFlow.js backend: auto (tfjs-node if installed, else wasm, else cpu), wasm, cpu or node; default: auto')
    .option('--workers <count>', 'training runs at once, each in its own thread on one core; default: 2 if the machine has 2 or more cores, else 1')
    .option('--out <folder>', `output folder, created if missing; default: ${COMMON_DEFAULTS.out}`)
    .addHelpText('after', presetHelp())
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

/**
 * Parses and validates the command line (`argv` without the node and script paths). Prints help
 * through `writeOut` for --help. Throws UsageError with a one-line message for an unknown flag, a
 * missing value, or any value out of range, including a ratio the architecture cannot reach and
 * an --out folder that cannot be written (checkWritableFolder). Leaves the disk as it was.
 */
export async function parseCommandLine(argv: readonly string[], writeOut: (text: string) => void = (text) => process.stdout.write(text), defaultWorkers = 1): Promise<ParsedCommandLine> {
  const program = createProgram().configureOutput({ writeOut, writeErr: () => undefined });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
        return { kind: 'help' };
      }
      throw new UsageError(`${error.message.replace(/^error: /, '').split('\n')[0]} (see --help)`);
    }
    throw error;
  }

  const flags = program.opts<Record<string, string | boolean | undefined>>();
  const text = (name: string): string | undefined => {
    const value = flags[name];
    return typeof value === 'string' ? value : undefined;
  };

  const preset: PresetName = flags.full === true ? 'full' : 'demo';
  const model = parseChoice('--model', text('model'), MODELS) ?? 'mlp';
  const defaults = PRESETS[preset][model];
  const trainSize = parseInteger('--train-size', text('trainSize'), 1, MNIST_TRAIN_COUNT - 1) ?? defaults.trainSize;
  const validationSize = parseInteger('--validation-size', text('validationSize'), 1, MNIST_TRAIN_COUNT - 1) ?? defaults.validationSize;
  if (trainSize + validationSize > MNIST_TRAIN_COUNT) {
    throw new UsageError(
      `Invalid --train-size ${trainSize} with --validation-size ${validationSize}: together they must be at most ${MNIST_TRAIN_COUNT} images.`,
    );
  }

  const request: ExperimentRequest = {
    preset,
    model,
    width: parseInteger('--width', text('width'), 1, 4096) ?? defaults.width,
    ratio: parseNumber('--ratio', text('ratio'), { above: 0, atMost: 1 }) ?? COMMON_DEFAULTS.ratio,
    epochs: parseInteger('--epochs', text('epochs'), 1, 10_000) ?? defaults.epochs,
    seeds: parseInteger('--seeds', text('seeds'), 1, 1000) ?? defaults.seeds,
    firstSeed: parseInteger('--first-seed', text('firstSeed'), 0, 2 ** 31) ?? COMMON_DEFAULTS.firstSeed,
    dataSeed: parseInteger('--data-seed', text('dataSeed'), 0, 2 ** 31) ?? COMMON_DEFAULTS.dataSeed,
    trainSize,
    validationSize,
    testSize: parseInteger('--test-size', text('testSize'), 1, MNIST_TEST_COUNT) ?? defaults.testSize,
    batchSize: parseInteger('--batch-size', text('batchSize'), 1, trainSize) ?? Math.min(defaults.batchSize, trainSize),
    learningRate: parseNumber('--lr', text('lr'), { above: 0 }) ?? defaults.learningRate,
    learningRateDecay: parseNumber('--lr-decay', text('lrDecay'), { above: 0, atMost: 1 }) ?? COMMON_DEFAULTS.learningRateDecay,
    learningRateMilestones: parseMilestones(text('lrMilestones')) ?? [...COMMON_DEFAULTS.learningRateMilestones],
    momentum: parseNumber('--momentum', text('momentum'), { atLeast: 0, below: 1 }) ?? COMMON_DEFAULTS.momentum,
    weightDecay: parseNumber('--weight-decay', text('weightDecay'), { atLeast: 0 }) ?? COMMON_DEFAULTS.weightDecay,
    overcompleteScale: parseNumber('--overcomplete-scale', text('overcompleteScale'), { above: 1, atMost: 16 }) ?? COMMON_DEFAULTS.overcompleteScale,
    runs: parseRuns(text('runs')) ?? [...RUN_NAMES],
    backend: parseChoice('--backend', text('backend'), BACKENDS) ?? 'auto',
    workers: parseInteger('--workers', text('workers'), 1, 64) ?? defaultWorkers,
    out: resolve(text('out') ?? COMMON_DEFAULTS.out),
  };

  const architecture = describeArchitecture(request.model, request.width);
  try {
    planFactorization(architecture, request.ratio);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new UsageError(
        `Invalid --ratio: expected at least ${smallestRatio(architecture)} for ${request.model} width ${request.width} ` +
          `(rank 1 in every factorized layer), got ${request.ratio}.`,
      );
    }
    throw error;
  }
  await checkWritableFolder(request.out);
  return { kind: 'run', request };
}

/**
 * Throws UsageError unless `folder` can hold the output files. The check creates the missing
 * folders (createFolders, one level at a time), writes and deletes a probe file in `folder`, and
 * then removes the folders it created, so the disk is left as it was either way. Permission bits
 * alone are not enough, because they let root pass /proc and /sys, where creating anything fails.
 */
export async function checkWritableFolder(folder: string): Promise<void> {
  let created: string[] = [];
  try {
    created = await createFolders(folder);
    const probe = join(folder, `.mnist-compression-probe.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(probe, 'wx');
    try {
      await handle.writeFile('probe\n');
    } finally {
      await handle.close();
      await unlink(probe);
    }
  } catch (error) {
    throw new UsageError(`Invalid --out ${JSON.stringify(folder)}: ${describeFolderError(error, folder)}`);
  } finally {
    await removeFolders(created);
  }
}

function describeFolderError(error: unknown, folder: string): string {
  if (error instanceof NotADirectoryError) {
    return error.message;
  }
  const code = errorCode(error) ?? String(error);
  const { syscall, path } = error as { syscall?: string; path?: string };
  if ((syscall === 'mkdir' || syscall === 'stat') && path !== undefined) {
    return `cannot create folder ${path} (${code}).`;
  }
  return `cannot write a file in ${folder} (${code}).`;
}

/**
 * Returns the smallest --ratio the architecture accepts, where every layer that can shrink at
 * rank 1 gets rank 1. It is rounded up to 3 significant digits, so the printed value is accepted.
 */
export function smallestRatio(architecture: Architecture): number {
  const ranks: Record<string, number | null> = {};
  for (const layer of architecture.layers) {
    const [rows, columns] = weightMatrixShape(layer);
    ranks[layer.name] = layer.keptDense === undefined && rows + columns < rows * columns ? 1 : null;
  }
  const exact = parameterCountWithRanks(architecture, ranks) / parameterCountWithRanks(architecture, {});
  const unit = 10 ** (Math.floor(Math.log10(exact)) - 2);
  return Number((Math.ceil(exact / unit) * unit).toPrecision(3));
}

/** Parses a decimal integer flag in [min, max]; undefined when the flag is absent. */
export function parseInteger(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}.`);
  }
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}.`);
  }
  return number;
}

/** Bounds of a number flag; each is optional. */
interface NumberBounds {
  above?: number;
  atLeast?: number;
  below?: number;
  atMost?: number;
}

/** Parses a finite decimal number flag within `bounds`; undefined when the flag is absent. */
export function parseNumber(flag: string, value: string | undefined, bounds: NumberBounds): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const expected = describeBounds(bounds);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim())) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected ${expected}.`);
  }
  const number = Number(value);
  const inRange =
    Number.isFinite(number) &&
    (bounds.above === undefined || number > bounds.above) &&
    (bounds.atLeast === undefined || number >= bounds.atLeast) &&
    (bounds.below === undefined || number < bounds.below) &&
    (bounds.atMost === undefined || number <= bounds.atMost);
  if (!inRange) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected ${expected}.`);
  }
  return number;
}

function describeBounds(bounds: NumberBounds): string {
  let lower = '(-∞';
  if (bounds.above !== undefined) {
    lower = `(${bounds.above}`;
  } else if (bounds.atLeast !== undefined) {
    lower = `[${bounds.atLeast}`;
  }

  let upper = '∞)';
  if (bounds.below !== undefined) {
    upper = `${bounds.below})`;
  } else if (bounds.atMost !== undefined) {
    upper = `${bounds.atMost}]`;
  }
  return `a number in ${lower}, ${upper}`;
}

function parseChoice<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected one of ${choices.join(', ')}.`);
  }
  return value as T;
}

function parseMilestones(value: string | undefined): number[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const milestones = value.split(',').map((part) => parseNumber('--lr-milestones', part, { above: 0, below: 1 }) as number);
  const ascending = milestones.every((milestone, index) => index === 0 || milestone > milestones[index - 1]);
  if (!ascending) {
    throw new UsageError(`Invalid --lr-milestones ${JSON.stringify(value)}: expected strictly ascending fractions in (0, 1).`);
  }
  return milestones;
}

function parseRuns(value: string | undefined): RunName[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(RUN_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`Invalid --runs ${JSON.stringify(value)}: ${JSON.stringify(name)} is not one of ${RUN_NAMES.join(', ')}.`);
    }
  }
  if (new Set(names).size !== names.length) {
    throw new UsageError(`Invalid --runs ${JSON.stringify(value)}: a run is listed twice.`);
  }
  return RUN_NAMES.filter((name) => names.includes(name));
}

function presetHelp(): string {
  const flags: [keyof PresetSettings, string][] = [
    ['width', '--width'],
    ['epochs', '--epochs'],
    ['seeds', '--seeds'],
    ['trainSize', '--train-size'],
    ['validationSize', '--validation-size'],
    ['testSize', '--test-size'],
    ['batchSize', '--batch-size'],
    ['learningRate', '--lr'],
  ];
  const cell = (value: string | number): string => String(value).padStart(9);
  const rows = flags.map(([key, flag]) =>
    `  ${flag.padEnd(18)}${cell(PRESETS.demo.mlp[key])}${cell(PRESETS.demo.cnn[key])}${cell(PRESETS.full.mlp[key])}${cell(PRESETS.full.cnn[key])}`,
  );
  return [
    '',
    'Presets (each flag overrides its setting):',
    `  ${''.padEnd(18)}${cell('demo mlp')}${cell('demo cnn')}${cell('full mlp')}${cell('full cnn')}`,
    ...rows,
    '',
    `Every preset: ratio ${COMMON_DEFAULTS.ratio}, SGD momentum ${COMMON_DEFAULTS.momentum}, learning rate ×${COMMON_DEFAULTS.learningRateDecay} at ` +
      `${COMMON_DEFAULTS.learningRateMilestones.map((milestone) => `${100 * milestone} %`).join(' and ')} of the epochs,`,
    `weight decay ${COMMON_DEFAULTS.weightDecay}, overcomplete rank scale ${COMMON_DEFAULTS.overcompleteScale}.`,
    'Output under --out: results.json, results.md, accuracy-vs-parameters.svg, best-collapsed-model/.',
    "Ctrl-C stops at the next batch and keeps the results of the finished runs (exit code 130).",
    '',
  ].join('\n');
}
