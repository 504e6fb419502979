// Benchmarks of @factorized/tfjs on the tfjs wasm backend in Node: training steps of
// FactorizedDense against dense layers, Frobenius decay, scaling with width and rank, and a
// factorized CNN on wasm against cpu. Run with `npm run bench -w @factorized/tfjs`. Prints
// Markdown tables for BENCHMARKS.md on stdout and progress on stderr.
import os from 'node:os';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { timeCnnStep } from './conv-steps.js';
import type { DenseShape, TrainingStep } from './dense-steps.js';
import {
  denseStepFlops,
  factorizedDenseStep,
  factorizedStepFlops,
  orderedDenseStep,
  tfjsDenseStep,
} from './dense-steps.js';
import { timeProductForms } from './matmul-orders.js';
import { formatMilliseconds, formatRatio, gigaflopsPerSecond, markdownTable } from './tables.js';
import type { TaskTime, TimingOptions } from './timing.js';
import { medianTimes } from './timing.js';

const BATCH = 128;
const SIZE = 1024;
const MAIN_RANKS = [32, 128, 256];
const SCALING_RANK = 128;
const WIDTHS = [256, 512, 1024, 2048, 4096];
const RANKS = [16, 32, 64, 128, 256, 512];
const STEP_TIMING: TimingOptions = { warmups: 2, rounds: 15 };

function progress(message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function describeMachine(): string {
  const [oneMinute, fiveMinutes] = os.loadavg();
  return [
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical cores, ` +
      `tfjs ${tf.version.tfjs} on '${tf.getBackend()}'.`,
    `Date: ${new Date().toISOString()}. Load average at start: ${oneMinute.toFixed(2)} (1 min), ${fiveMinutes.toFixed(2)} (5 min).`,
  ].join('\n');
}

/** Runs `steps` interleaved, then disposes them. */
function timeSteps(steps: Record<string, TrainingStep>, options: TimingOptions): Record<string, TaskTime> {
  try {
    return medianTimes(Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, step.run])), options);
  } finally {
    for (const step of Object.values(steps)) {
      step.dispose();
    }
  }
}

/** Builds a step that multiplies the batch by a fixed W, whose rate is the reference of the table. */
function referenceProduct(shape: DenseShape): TrainingStep {
  const input = tf.randomNormal([shape.batch, shape.inputSize], 0, 1, 'float32', 10);
  const kernel = tf.randomNormal([shape.inputSize, shape.units], 0, 1, 'float32', 11);
  return {
    run: () => {
      const output = tf.matMul(input, kernel);
      output.dataSync();
      output.dispose();
    },
    dispose: () => tf.dispose([input, kernel]),
  };
}

function productFormsSection(): string {
  progress('products with and without transpose flags...');
  const rows = timeProductForms(BATCH, SIZE);
  const reference = rows[0].time.cpu;
  return markdownTable(
    ['Product', 'Computed as', 'CPU time (ms)', 'Wall time (ms)', 'Time / forward x·W'],
    rows.map(({ product, form, time }) => [
      product,
      `\`${form}\``,
      formatMilliseconds(time.cpu),
      formatMilliseconds(time.wall),
      formatRatio(time.cpu / reference),
    ]),
    [false, false, true, true, true],
  );
}

function denseStepSection(): string {
  progress('training steps, 1024 → 1024, batch 128 (tfjs Dense takes about a second per step)...');
  const shape: DenseShape = { batch: BATCH, inputSize: SIZE, units: SIZE };
  const steps: Record<string, TrainingStep> = {
    reference: referenceProduct(shape),
    tfjsDense: tfjsDenseStep(shape),
    orderedDense: orderedDenseStep(shape),
  };
  for (const rank of MAIN_RANKS) {
    steps[`rank${rank}`] = factorizedDenseStep(shape, rank);
  }
  const times = timeSteps(steps, STEP_TIMING);

  const referenceRate = gigaflopsPerSecond(2 * BATCH * SIZE * SIZE, times.reference.cpu);
  const ordered = times.orderedDense.cpu;
  const tfjsDense = times.tfjsDense.cpu;
  const row = (name: string, time: TaskTime, flops: number, flopRatio: number): string[] => {
    const rate = gigaflopsPerSecond(flops, time.cpu);
    return [
      name,
      formatMilliseconds(time.cpu),
      formatMilliseconds(time.wall),
      formatRatio(time.cpu / ordered),
      formatRatio(time.cpu / tfjsDense),
      formatRatio(flopRatio),
      rate.toFixed(1),
      `${((100 * rate) / referenceRate).toFixed(0)} %`,
    ];
  };
  const rows = [
    row('tf.layers.dense', times.tfjsDense, denseStepFlops(shape), 1),
    row('Dense, same product ordering', times.orderedDense, denseStepFlops(shape), 1),
    ...MAIN_RANKS.map((rank) =>
      row(
        `FactorizedDense, r = ${rank}`,
        times[`rank${rank}`],
        factorizedStepFlops(shape, rank),
        (rank * (shape.inputSize + shape.units)) / (shape.inputSize * shape.units),
      ),
    ),
  ];
  const table = markdownTable(
    [
      'Layer',
      'CPU time (ms)',
      'Wall time (ms)',
      'Time / ordered Dense',
      'Time / tf.layers.dense',
      'FLOP ratio r(m+n)/(mn)',
      'GFLOP/s',
      'Rate / reference',
    ],
    rows,
    [false, true, true, true, true, true, true, true],
  );
  const reference =
    `Reference: one \`tf.matMul\` of x (128 × 1024) by a fixed W (1024 × 1024) in the same rounds: ` +
    `${formatMilliseconds(times.reference.cpu)} ms CPU, ${referenceRate.toFixed(1)} GFLOP/s.`;
  return `${table}\n\n${reference}`;
}

function frobeniusDecaySection(): string {
  progress('Frobenius decay, r = batch = 128...');
  const shape: DenseShape = { batch: BATCH, inputSize: SIZE, units: SIZE };
  const times = timeSteps(
    {
      none: factorizedDenseStep(shape, BATCH),
      custom: factorizedDenseStep(shape, BATCH, 'custom gradient'),
      autodiff: factorizedDenseStep(shape, BATCH, 'autodiff'),
    },
    STEP_TIMING,
  );
  // The penalty's four Gram-sized products cost 4·(m + n)·r² FLOPs against the step's
  // 6·batch·r·(m + n): two thirds of it when r equals the batch size.
  const flopRatio = 1 + (4 * BATCH * BATCH) / (6 * BATCH * BATCH);
  const row = (name: string, time: TaskTime, flops: number): string[] => [
    name,
    formatMilliseconds(time.cpu),
    formatMilliseconds(time.wall),
    formatRatio(time.cpu / times.none.cpu),
    formatRatio(flops),
  ];
  return markdownTable(
    ['Step of FactorizedDense, r = 128', 'CPU time (ms)', 'Wall time (ms)', 'Time / without decay', 'FLOP ratio'],
    [
      row('without Frobenius decay', times.none, 1),
      row('with frobeniusDecayTensor (custom gradient)', times.custom, flopRatio),
      row('with autodiff of the Gram formula', times.autodiff, flopRatio),
    ],
    [false, true, true, true, true],
  );
}

function widthSection(): string {
  const rows: string[][] = [];
  for (const width of WIDTHS) {
    progress(`width ${width}...`);
    const shape: DenseShape = { batch: BATCH, inputSize: width, units: width };
    const options: TimingOptions =
      width >= 4096 ? { warmups: 1, rounds: 3 } : width >= 2048 ? { warmups: 1, rounds: 5 } : STEP_TIMING;
    const times = timeSteps(
      { factorized: factorizedDenseStep(shape, SCALING_RANK), dense: orderedDenseStep(shape) },
      options,
    );
    rows.push([
      String(width),
      formatMilliseconds(times.factorized.cpu),
      formatMilliseconds(times.dense.cpu),
      formatRatio(times.factorized.cpu / times.dense.cpu),
      formatRatio((2 * SCALING_RANK) / width),
      gigaflopsPerSecond(factorizedStepFlops(shape, SCALING_RANK), times.factorized.cpu).toFixed(1),
      gigaflopsPerSecond(denseStepFlops(shape), times.dense.cpu).toFixed(1),
    ]);
  }
  return markdownTable(
    [
      'm = n',
      'FactorizedDense r = 128 (ms)',
      'Ordered Dense (ms)',
      'Time ratio',
      'FLOP ratio',
      'Factorized GFLOP/s',
      'Dense GFLOP/s',
    ],
    rows,
    [true, true, true, true, true, true, true],
  );
}

function rankSection(): string {
  progress('ranks 16 to 512 at 1024 → 1024...');
  const shape: DenseShape = { batch: BATCH, inputSize: SIZE, units: SIZE };
  const steps: Record<string, TrainingStep> = { dense: orderedDenseStep(shape) };
  for (const rank of RANKS) {
    steps[`rank${rank}`] = factorizedDenseStep(shape, rank);
  }
  const times = timeSteps(steps, STEP_TIMING);
  const rows = RANKS.map((rank) => {
    const time = times[`rank${rank}`];
    return [
      String(rank),
      formatMilliseconds(time.cpu),
      formatRatio(time.cpu / times.dense.cpu),
      formatRatio((2 * rank) / SIZE),
      gigaflopsPerSecond(factorizedStepFlops(shape, rank), time.cpu).toFixed(1),
    ];
  });
  const table = markdownTable(
    ['r', 'FactorizedDense (ms)', 'Time / ordered Dense', 'FLOP ratio', 'GFLOP/s'],
    rows,
    [true, true, true, true, true],
  );
  return `${table}\n\nOrdered Dense in the same rounds: ${formatMilliseconds(times.dense.cpu)} ms.`;
}

async function cnnSection(): Promise<string> {
  progress('factorized CNN, wasm and cpu (a cpu step takes several seconds)...');
  let registered: string[];
  try {
    const { registerWasmConvTraining } = await import('../src/wasm-conv-training.js');
    registered = registerWasmConvTraining();
  } catch (error) {
    return `Factorized CNN step: needs wasm conv training kernel (${String(error)}).`;
  }

  const wasm = await timeCnnStep('wasm', { warmups: 2, rounds: 9 });
  const cpu = await timeCnnStep('cpu', { warmups: 1, rounds: 3 });
  await tf.setBackend('wasm');
  const table = markdownTable(
    ['Backend', 'CPU time (ms)', 'Wall time (ms)', 'Speed-up over cpu'],
    [
      ['cpu', formatMilliseconds(cpu.cpu), formatMilliseconds(cpu.wall), '1.0×'],
      ['wasm + registerWasmConvTraining()', formatMilliseconds(wasm.cpu), formatMilliseconds(wasm.wall), `${(cpu.cpu / wasm.cpu).toFixed(0)}×`],
    ],
    [false, true, true, true],
  );
  return `${table}\n\nKernels registered for wasm: ${registered.join(', ') || 'none (already registered)'}.`;
}

async function main(): Promise<void> {
  tf.enableProdMode();
  if (!(await tf.setBackend('wasm'))) {
    throw new Error("tfjs backend 'wasm' failed to initialize");
  }
  const startTensors = tf.memory().numTensors;
  const started = performance.now();
  console.log(describeMachine());

  const sections: [string, () => string | Promise<string>][] = [
    ['Transposed operands of the dense gradients', productFormsSection],
    ['Training step, 1024 → 1024, batch 128', denseStepSection],
    ['Frobenius decay at r = batch = 128', frobeniusDecaySection],
    ['Step time against width, r = 128', widthSection],
    ['Step time against rank, 1024 → 1024', rankSection],
    ['Factorized CNN step, wasm against cpu', cnnSection],
  ];
  for (const [title, section] of sections) {
    const text = await section();
    console.log(`\n### ${title}\n\n${text}`);
  }

  const [oneMinute, fiveMinutes] = os.loadavg();
  console.log(
    `\nTensors left after disposal: ${tf.memory().numTensors - startTensors}. ` +
      `Total time ${((performance.now() - started) / 1000).toFixed(0)} s. ` +
      `Load average at end: ${oneMinute.toFixed(2)} (1 min), ${fiveMinutes.toFixed(2)} (5 min).`,
  );
}

await main();
