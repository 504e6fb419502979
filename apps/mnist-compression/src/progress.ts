import cliProgress from 'cli-progress';
import type { ExperimentEvent } from './experiment.js';
import type { JobSpec } from './job.js';
import { formatDuration, formatQuantity } from './report.js';

/** Shows an experiment's progress on a stream. */
export interface ProgressReporter {
  onProgress: (event: ExperimentEvent) => void;
  /** Prints a line above the bars (or plainly when the stream is not a terminal). */
  log: (line: string) => void;
  /** Removes the bars; call before printing the final table. Later calls do nothing. */
  stop: () => void;
}

/**
 * Creates the progress display. On a terminal it shows one cli-progress bar per running
 * training run: name, seed, epoch, running loss and training accuracy, last validation accuracy
 * and estimated time left. A line per finished run goes above the bars. When `stream` is not a
 * terminal (a log file, CI), it prints a plain line per finished epoch and run instead, because
 * redrawn bars would fill the log.
 */
export function createProgressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return stream.isTTY === true ? terminalReporter(stream) : lineReporter(stream);
}

function terminalReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: ' {label} |{bar}| epoch {epoch}/{epochs} | loss {loss} | train {trainAccuracy} | val {validationAccuracy} | {eta_formatted} left',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
      etaBuffer: 50,
      autopadding: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let overall: cliProgress.SingleBar | undefined;
  let finished = 0;
  let stopped = false;

  return {
    onProgress(event) {
      switch (event.type) {
        case 'start':
          overall = multibar.create(event.jobs.length, 0, {}, { format: ' all runs |{bar}| {value}/{total} finished | {duration_formatted} elapsed' });
          break;
        case 'job-start':
          bars.set(key(event.job), multibar.create(1, 0, { label: jobName(event.label, event.job), epoch: 0, epochs: '?', loss: '–', trainAccuracy: '–', validationAccuracy: '–' }));
          break;
        case 'job-progress': {
          const bar = bars.get(key(event.job));
          if (bar === undefined || event.event.type !== 'batch') {
            break;
          }
          const progress = event.event.progress;
          bar.setTotal(progress.epochs * progress.batches);
          bar.update((progress.epoch - 1) * progress.batches + progress.batch, {
            epoch: progress.epoch,
            epochs: progress.epochs,
            loss: progress.loss.toFixed(4),
            trainAccuracy: percent(progress.trainAccuracy),
            validationAccuracy: progress.validationAccuracy === undefined ? '–' : percent(progress.validationAccuracy),
          });
          break;
        }
        case 'job-end': {
          const bar = bars.get(key(event.job));
          if (bar !== undefined) {
            multibar.remove(bar);
            bars.delete(key(event.job));
          }
          finished += 1;
          overall?.update(finished);
          multibar.log(`${finishedLine(event)}\n`);
          break;
        }
      }
    },
    log(line) {
      multibar.log(`${line}\n`);
    },
    stop() {
      // NOTE: a second MultiBar.stop() would move the cursor up again and overwrite the last line printed.
      if (!stopped) {
        stopped = true;
        multibar.stop();
      }
    },
  };
}

function lineReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return {
    onProgress(event) {
      if (event.type === 'start') {
        stream.write(`Training ${formatQuantity(event.jobs.length, 'run')}.\n`);
      } else if (event.type === 'job-progress' && event.event.type === 'epoch') {
        const record = event.event.record;
        stream.write(
          `${jobName(event.label, event.job)}: epoch ${record.epoch}, loss ${record.loss.toFixed(4)}, train ${percent(record.trainAccuracy)}, ` +
            `val ${percent(record.validationAccuracy)}, ${formatDuration(record.seconds)}\n`,
        );
      } else if (event.type === 'job-end') {
        stream.write(`${finishedLine(event)}\n`);
      }
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

function finishedLine(event: Extract<ExperimentEvent, { type: 'job-end' }>): string {
  const { result } = event;
  const diverged = result.diverged ? ' (diverged)' : '';
  return `finished ${jobName(event.label, event.job)}: test ${percent(result.testAccuracy)}, val ${percent(result.validationAccuracy)}, ${formatDuration(result.trainingSeconds)}${diverged}`;
}

function jobName(label: string, job: JobSpec): string {
  return `${label} [seed ${job.seed}]`;
}

function key(job: JobSpec): string {
  return `${job.run}#${job.seed}`;
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(2)} %`;
}
