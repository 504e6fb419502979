import * as tf from '@tensorflow/tfjs';
import type { FactorizationPlan } from './architecture.js';
import { describeArchitecture, planFactorization } from './architecture.js';
import type { BackendSelection } from './backend.js';
import type { ExperimentConfig, RunName } from './config.js';
import type { JobEvent, JobExecutor } from './executors.js';
import { createInProcessExecutor, createWorkerExecutor } from './executors.js';
import type { JobContext, JobOutput, JobSpec } from './job.js';
import { loadMnist } from './mnist.js';
import type { BestModelRecord, ExperimentState } from './outputs.js';
import { OUTPUT_FILES, writeBestModel, writeReports } from './outputs.js';
import type { JobResult, RunSummary } from './report.js';
import { formatResultsTable, summarizeRuns } from './report.js';
import type { RunDefinition } from './runs.js';
import { defineRun } from './runs.js';

/** Progress of an experiment, for progress bars and logs. */
export type ExperimentEvent =
  | { type: 'start'; plan: FactorizationPlan; runs: RunDefinition[]; jobs: JobSpec[] }
  | { type: 'job-start'; job: JobSpec; label: string }
  | { type: 'job-progress'; job: JobSpec; label: string; event: JobEvent }
  | { type: 'job-end'; job: JobSpec; label: string; result: JobResult };

/** Hooks and resources of runExperiment. */
export interface ExperimentOptions {
  onProgress?: (event: ExperimentEvent) => void;
  /** Aborting stops the running jobs at their next batch; finished runs stay in the results. */
  signal?: AbortSignal;
  /** Backend in use, for the report; default: the active tfjs backend. */
  backend?: BackendSelection;
  /**
   * Module that serves training workers ({@link serveTrainingWorker}); needed when
   * config.workers > 1, otherwise jobs run in this thread on the active backend.
   */
  workerScript?: URL;
}

/** Result of runExperiment. */
export interface ExperimentResult {
  status: 'complete' | 'interrupted';
  plan: FactorizationPlan;
  summaries: RunSummary[];
  results: JobResult[];
  /** The results table in Markdown, as printed and written to results.md. */
  table: string;
  bestModel: BestModelRecord | null;
}

/**
 * Runs the experiment: every run of `config.runs` with every seed, each model trained from
 * scratch on the same MNIST splits. After each finished run the reports under `config.out`
 * (results.json, results.md, the SVG chart) are rewritten atomically, and the collapsed model
 * with the best validation accuracy so far is saved in TensorFlow.js format. Test accuracy is
 * reported but never used for a choice.
 *
 * The active tfjs backend trains when config.workers is 1; with more, each worker thread
 * activates config.backend itself. Rejects with the first job's error after stopping the others.
 */
export async function runExperiment(config: ExperimentConfig, options: ExperimentOptions = {}): Promise<ExperimentResult> {
  const architecture = describeArchitecture(config.model, config.width);
  const plan = planFactorization(architecture, config.ratio);
  const runs = config.runs.map((name) => defineRun(name, architecture, plan, config.overcompleteScale));
  const definitions: Partial<Record<RunName, RunDefinition>> = Object.fromEntries(runs.map((run) => [run.name, run]));
  const labelOf = (job: JobSpec): string => definitions[job.run]?.label ?? job.run;
  // NOTE: jobs go seed by seed, so an interrupted experiment has whole seeds. Within a seed the
  // runs with the most trained parameters start first, so parallel workers finish close together.
  const byCost = [...runs].sort((a, b) => b.trainedParameters - a.trainedParameters);
  const jobs: JobSpec[] = [];
  for (let index = 0; index < config.seeds; index++) {
    for (const run of byCost) {
      jobs.push({ run: run.name, seed: config.firstSeed + index });
    }
  }

  const useWorkers = config.workers > 1;
  const data = await loadMnist({
    trainSize: config.trainSize,
    validationSize: config.validationSize,
    testSize: config.testSize,
    seed: config.dataSeed,
    shared: useWorkers,
  });
  const context: JobContext = { config, architecture, definitions, data };
  if (useWorkers && options.workerScript === undefined) {
    throw new Error('runExperiment needs options.workerScript when config.workers is above 1.');
  }
  const executor: JobExecutor = useWorkers
    ? createWorkerExecutor(context, config.workers, options.workerScript as URL)
    : createInProcessExecutor(context);

  const state: ExperimentState = {
    status: 'running',
    config,
    backend: options.backend ?? { name: config.backend, reason: 'given' },
    architecture,
    plan,
    jobCount: jobs.length,
    results: [],
    summaries: [],
    bestModel: null,
  };
  let writes = Promise.resolve();
  const record = (output: JobOutput): Promise<void> => {
    state.results.push(output.result);
    state.summaries = summarizeRuns(state.results, runs, plan.denseParameters);
    const improved = output.collapsedModel !== undefined && (state.bestModel === null || output.result.validationAccuracy > state.bestModel.validationAccuracy);
    if (improved) {
      state.bestModel = {
        run: output.result.run,
        seed: output.result.seed,
        validationAccuracy: output.result.validationAccuracy,
        testAccuracy: output.result.testAccuracy,
        parameters: plan.denseParameters,
        directory: OUTPUT_FILES.model,
      };
    }
    const artifacts = improved ? output.collapsedModel : undefined;
    writes = writes.then(async () => {
      if (artifacts !== undefined) {
        await writeBestModel(config.out, artifacts);
      }
      await writeReports(state, tf.version.tfjs);
    });
    return writes;
  };

  const stop = (): void => executor.stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted === true) {
    stop();
  }
  options.onProgress?.({ type: 'start', plan, runs, jobs });

  let next = 0;
  let failure: Error | undefined;
  const lane = async (): Promise<void> => {
    while (next < jobs.length && options.signal?.aborted !== true && failure === undefined) {
      const job = jobs[next++];
      const label = labelOf(job);
      options.onProgress?.({ type: 'job-start', job, label });
      try {
        const output = await executor.run(job, (event) => options.onProgress?.({ type: 'job-progress', job, label, event }));
        if (output === undefined) {
          return;
        }
        await record(output);
        options.onProgress?.({ type: 'job-end', job, label, result: output.result });
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
        executor.stop();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: executor.slots }, lane));
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await executor.close();
  }
  await writes;
  if (failure !== undefined) {
    state.status = 'failed';
    await writeReports(state, tf.version.tfjs);
    throw failure;
  }

  state.status = state.results.length === jobs.length ? 'complete' : 'interrupted';
  await writeReports(state, tf.version.tfjs);
  return {
    status: state.status,
    plan,
    summaries: state.summaries,
    results: state.results,
    table: formatResultsTable(state.summaries),
    bestModel: state.bestModel,
  };
}
