#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { activateBackend, BackendUnavailableError, selectBackend } from './backend.js';
import type { ExperimentConfig } from './config.js';
import type { WorkerSetup } from './executors.js';
import { serveTrainingWorker } from './executors.js';
import { runExperiment } from './experiment.js';
import { describeArchitecture, planFactorization } from './architecture.js';
import { parseCommandLine, UsageError } from './options.js';
import { OUTPUT_FILES } from './outputs.js';
import { createProgressReporter } from './progress.js';
import { formatPlanTable, formatQuantity } from './report.js';

/** Exit code of a command-line mistake, as in POSIX utilities. */
const USAGE_EXIT_CODE = 2;
/** Exit code after Ctrl-C, 128 + SIGINT. */
const INTERRUPTED_EXIT_CODE = 130;

async function main(): Promise<number> {
  const defaultWorkers = Math.min(2, availableParallelism());
  let config: ExperimentConfig;
  let backendReason: string;
  try {
    const parsed = await parseCommandLine(process.argv.slice(2), (text) => process.stdout.write(text), defaultWorkers);
    if (parsed.kind === 'help') {
      return 0;
    }
    const selection = await selectBackend(parsed.request.backend);
    config = { ...parsed.request, backend: selection.name };
    backendReason = selection.reason;
  } catch (error) {
    if (error instanceof UsageError || error instanceof BackendUnavailableError) {
      process.stderr.write(`mnist-compression: ${error.message}\n`);
      return USAGE_EXIT_CODE;
    }
    throw error;
  }

  const reporter = createProgressReporter(process.stderr);
  if (config.workers > 1 && import.meta.url.endsWith('.ts')) {
    // NOTE: worker threads do not inherit the TypeScript loader of tsx, so they need the built dist/cli.js.
    reporter.log(`Running from TypeScript source: using 1 worker instead of ${config.workers}; build with tsup for worker threads.`);
    config = { ...config, workers: 1 };
  }
  if (config.workers === 1) {
    await activateBackend(config.backend);
  }
  reporter.log(`Backend: ${config.backend} (${backendReason}); ${formatQuantity(config.workers, 'worker thread')}.`);
  reporter.log(
    `Preset ${config.preset}: ${config.model} width ${config.width}, ${config.trainSize} training images, ${formatQuantity(config.epochs, 'epoch')}, ${formatQuantity(config.seeds, 'seed')}, ratio ${config.ratio}.`,
  );
  reporter.log(`Factorization plan:\n${formatPlanTable(planFactorization(describeArchitecture(config.model, config.width), config.ratio))}`);

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) {
      reporter.stop();
      process.stderr.write('\nSecond Ctrl-C: exiting now. The files written so far are complete.\n');
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    reporter.log('Ctrl-C: stopping at the next batch (press again to exit at once).');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  try {
    const started = performance.now();
    const result = await runExperiment(config, {
      onProgress: reporter.onProgress,
      signal: controller.signal,
      backend: { name: config.backend, reason: backendReason },
      workerScript: new URL(import.meta.url),
    });
    reporter.stop();
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);

    process.stdout.write(`\n${result.table}\n\n`);
    const files = `${OUTPUT_FILES.results}, ${OUTPUT_FILES.table}, ${OUTPUT_FILES.chart}${result.bestModel === null ? '' : `, ${OUTPUT_FILES.model}/`}`;
    if (result.status === 'interrupted') {
      process.stderr.write(
        `Interrupted after ${minutes} min: ${formatQuantity(result.results.length, 'finished run')} ${result.results.length === 1 ? 'is' : 'are'} saved in ${config.out} (${files}); the run in progress was discarded.\n`,
      );
      return INTERRUPTED_EXIT_CODE;
    }
    process.stderr.write(`Finished in ${minutes} min. Wrote ${files} to ${config.out}.\n`);
    return 0;
  } finally {
    reporter.stop();
    process.off('SIGINT', onSigint);
  }
}

if (!isMainThread && (workerData as Partial<WorkerSetup> | undefined)?.kind === 'mnist-compression-training-worker') {
  const setup = workerData as WorkerSetup;
  if (parentPort === null) {
    throw new Error('A training worker needs a parent port.');
  }
  // NOTE: SIGINT reaches only the main thread; workers stop through the shared stop flag.
  serveTrainingWorker(setup, parentPort, () => activateBackend(setup.context.config.backend));
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mnist-compression failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
