import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { fileSystem } from '@factorized/tfjs';
import type { Architecture, FactorizationPlan } from './architecture.js';
import { replaceDirectoryAtomic, writeFileAtomic } from './atomic-write.js';
import { accuracyChartSpec, renderSvg } from './chart.js';
import type { BackendSelection } from './backend.js';
import type { ExperimentConfig, RunName } from './config.js';
import type { JobResult, RunSummary } from './report.js';
import { formatPlanTable, formatQuantity, formatResultsTable } from './report.js';

/** Names of the files an experiment writes under its output folder. */
export const OUTPUT_FILES = {
  results: 'results.json',
  table: 'results.md',
  chart: 'accuracy-vs-parameters.svg',
  model: 'best-collapsed-model',
} as const;

/** The collapsed model kept on disk: the factorized run and seed with the best validation accuracy. */
export interface BestModelRecord {
  run: RunName;
  seed: number;
  validationAccuracy: number;
  testAccuracy: number;
  parameters: number;
  /** Folder with model.json and weights.bin, relative to the output folder. */
  directory: string;
}

/** Everything the output files are made from. */
export interface ExperimentState {
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  config: ExperimentConfig;
  backend: BackendSelection;
  architecture: Architecture;
  plan: FactorizationPlan;
  jobCount: number;
  results: JobResult[];
  summaries: RunSummary[];
  bestModel: BestModelRecord | null;
}

/**
 * Writes results.json, results.md and the SVG chart under `config.out`, each atomically, so an
 * interrupted experiment leaves the files of its last finished run intact.
 */
export async function writeReports(state: ExperimentState, tfjsVersion: string): Promise<void> {
  const out = state.config.out;
  await writeFileAtomic(join(out, OUTPUT_FILES.results), `${JSON.stringify(resultsDocument(state, tfjsVersion), null, 2)}\n`);
  await writeFileAtomic(join(out, OUTPUT_FILES.table), resultsMarkdown(state));
  if (state.summaries.length > 0) {
    const title = `${state.config.model.toUpperCase()} width ${state.config.width} on MNIST, ratio ${state.config.ratio}`;
    await writeFileAtomic(join(out, OUTPUT_FILES.chart), await renderSvg(accuracyChartSpec(state.summaries, state.results, title)));
  }
}

/** Saves model artifacts in TensorFlow.js format (model.json + weights.bin) as the best collapsed model, replacing the previous one atomically. */
export async function writeBestModel(out: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  await replaceDirectoryAtomic(join(out, OUTPUT_FILES.model), async (directory) => {
    const handler = fileSystem(directory);
    if (handler.save === undefined) {
      throw new Error('The fileSystem IO handler of @factorized/tfjs cannot save.');
    }
    await handler.save(artifacts);
  });
}

/** Builds the Markdown report: status line, factorization plan and results table. */
export function resultsMarkdown(state: ExperimentState): string {
  const { config } = state;
  const done = `${state.results.length} of ${formatQuantity(state.jobCount, 'training run')} finished`;
  const statusLines: Record<ExperimentState['status'], string> = {
    running: `Running: ${done}.`,
    complete: `Complete: ${done}.`,
    interrupted: `Interrupted: ${done}; these are their results.`,
    failed: `Failed: ${done} before a run raised an error; these are their results.`,
  };
  const status = statusLines[state.status];
  const lines = [
    `# MNIST compression results`,
    '',
    status,
    '',
    `Model ${config.model}, width ${config.width}, ratio ${config.ratio}, ${formatQuantity(config.epochs, 'epoch')}, ${formatQuantity(config.seeds, 'seed')}, ` +
      `${config.trainSize} training / ${config.validationSize} validation / ${config.testSize} test images, batch ${config.batchSize}, ` +
      `SGD lr ${config.learningRate} momentum ${config.momentum}, weight decay ${config.weightDecay}, backend ${state.backend.name}.`,
    '',
    '## Factorization plan',
    '',
    formatPlanTable(state.plan),
    '',
    '## Results',
    '',
    state.summaries.length > 0 ? formatResultsTable(state.summaries) : 'No run has finished yet.',
    '',
  ];
  const overcomplete = state.summaries.find((summary) => summary.run === 'overcomplete-KD');
  if (overcomplete !== undefined) {
    lines.push(
      `The overcomplete run trains ${overcomplete.trainedParameters.toLocaleString('en-US')} parameters (rank scale ${config.overcompleteScale}) ` +
        `and is evaluated after collapsing into the dense architecture.`,
      '',
    );
  }
  if (state.bestModel !== null) {
    lines.push(
      `Best collapsed model (by validation accuracy): ${state.bestModel.run}, seed ${state.bestModel.seed}, ` +
        `validation ${(100 * state.bestModel.validationAccuracy).toFixed(2)} %, test ${(100 * state.bestModel.testAccuracy).toFixed(2)} %, ` +
        `saved in ${state.bestModel.directory}/.`,
      '',
    );
  }
  return lines.join('\n');
}

function resultsDocument(state: ExperimentState, tfjsVersion: string): object {
  return {
    status: state.status,
    generatedAt: new Date().toISOString(),
    finishedRuns: state.results.length,
    plannedRuns: state.jobCount,
    config: state.config,
    environment: { node: process.version, tfjs: tfjsVersion, backend: state.backend.name, backendReason: state.backend.reason },
    architecture: state.architecture,
    plan: state.plan,
    summaries: state.summaries,
    results: state.results,
    bestCollapsedModel: state.bestModel,
    notes: {
      accuracy: 'fractions in [0, 1]; test accuracy of the collapsed model for overcomplete-KD',
      parameters: 'every weight, bias and batch-normalization statistic of the evaluated model',
      model: 'the saved model maps [batch, 784] pixels in [0, 1] (CNN: [batch, 28, 28, 1]) to logits [batch, 10]',
    },
  };
}
