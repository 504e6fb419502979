import type { FactorizationPlan } from './architecture.js';
import type { RunName } from './config.js';
import type { EpochRecord } from './train.js';

/** The outcome of one run with one seed. */
export interface JobResult {
  run: RunName;
  seed: number;
  /** Parameters of the evaluated model (the collapsed one for overcomplete KD). */
  parameters: number;
  trainedParameters: number;
  /** Accuracy of the evaluated model on the validation and test splits, in [0, 1]. */
  validationAccuracy: number;
  testAccuracy: number;
  /** Test accuracy of the factorized model itself, for runs whose reported accuracy is the collapsed model's. */
  factorizedTestAccuracy?: number;
  /** Test accuracy of the collapsed plain model, for every factorized run (equal to the factorized one up to float32 rounding). */
  collapsedTestAccuracy?: number;
  /** The loss became NaN or infinite and training ended early. */
  diverged: boolean;
  trainingSeconds: number;
  history: EpochRecord[];
}

/** Mean and sample standard deviation (n − 1 in the denominator; null for fewer than 2 values, where it is undefined). */
export interface Statistic {
  mean: number;
  std: number | null;
}

/** One row of the results table: a run aggregated over its seeds. */
export interface RunSummary {
  run: RunName;
  label: string;
  parameters: number;
  trainedParameters: number;
  /** Dense parameters / parameters. */
  compression: number;
  seeds: number;
  testAccuracy: Statistic;
  validationAccuracy: Statistic;
  /** Mean training time of one seed, in seconds. */
  trainingSeconds: number;
  divergedSeeds: number;
}

/** Returns the mean (NaN for no values) and the sample standard deviation (null for fewer than 2) of `values`. */
export function meanAndStd(values: readonly number[]): Statistic {
  const mean = values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
  if (values.length < 2) {
    return { mean, std: null };
  }
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

/** Aggregates the results of each run over its seeds, in the order of `runs`; runs without results are left out. */
export function summarizeRuns(
  results: readonly JobResult[],
  runs: readonly { name: RunName; label: string }[],
  denseParameters: number,
): RunSummary[] {
  const summaries: RunSummary[] = [];
  for (const run of runs) {
    const ofRun = results.filter((result) => result.run === run.name);
    if (ofRun.length === 0) {
      continue;
    }
    summaries.push({
      run: run.name,
      label: run.label,
      parameters: ofRun[0].parameters,
      trainedParameters: ofRun[0].trainedParameters,
      compression: denseParameters / ofRun[0].parameters,
      seeds: ofRun.length,
      testAccuracy: meanAndStd(ofRun.map((result) => result.testAccuracy)),
      validationAccuracy: meanAndStd(ofRun.map((result) => result.validationAccuracy)),
      trainingSeconds: meanAndStd(ofRun.map((result) => result.trainingSeconds)).mean,
      divergedSeeds: ofRun.filter((result) => result.diverged).length,
    });
  }
  return summaries;
}

/**
 * Formats the results as a Markdown table with aligned columns, readable in a terminal and
 * pasteable into a README. The columns are run, parameters, compression (dense / run), test
 * accuracy in %, its standard deviation over seeds and the mean training time of one seed.
 * The standard deviation column appears only when some run has more than one seed.
 */
export function formatResultsTable(summaries: readonly RunSummary[]): string {
  const withSpread = summaries.some((summary) => summary.seeds > 1);
  const header = ['run', 'parameters', 'compression', 'test accuracy (%)', ...(withSpread ? ['± std'] : []), 'training time'];
  const rows = summaries.map((summary) => {
    const diverged = summary.divergedSeeds > 0 ? ` (${summary.divergedSeeds} diverged)` : '';
    const std = summary.testAccuracy.std;
    const spread = std === null ? '–' : (100 * std).toFixed(2);
    return [
      summary.label + diverged,
      formatCount(summary.parameters),
      `${summary.compression.toFixed(1)}×`,
      (100 * summary.testAccuracy.mean).toFixed(2),
      ...(withSpread ? [spread] : []),
      formatDuration(summary.trainingSeconds),
    ];
  });
  return markdownTable(header, rows, ['left', 'right', 'right', 'right', ...(withSpread ? ['right' as const] : []), 'right']);
}

/** Formats the factorization plan as a Markdown table: each layer's shape, rank (or why it stays dense) and parameters. */
export function formatPlanTable(plan: FactorizationPlan): string {
  const rows = plan.layers.map((layer) => [
    layer.name,
    layer.shape,
    layer.rank === null ? 'dense' : String(layer.rank),
    layer.breakEvenRank.toFixed(1),
    formatCount(layer.denseParameters),
    formatCount(layer.parameters),
    layer.note,
  ]);
  rows.push([
    'total',
    '',
    `scale ${plan.rankScale.toFixed(4)}`,
    '',
    formatCount(plan.denseParameters),
    formatCount(plan.parameters),
    `ratio ${plan.ratio.toFixed(4)}`,
  ]);
  return markdownTable(
    ['layer', 'weight', 'rank', 'break-even rank', 'dense parameters', 'low-rank parameters', 'note'],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
  );
}

/** Formats a count and a noun, singular for exactly 1: "1 epoch", "6 epochs", "2 worker threads". */
export function formatQuantity(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** Formats a count with thin groups of three digits: 1234567 → "1,234,567". */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** Formats seconds as "42 s", "3.5 min" or "1.25 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) {
    return '–';
  }
  if (seconds < 100) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  if (seconds < 6000) {
    return `${(seconds / 60).toFixed(1)} min`;
  }
  return `${(seconds / 3600).toFixed(2)} h`;
}

function markdownTable(header: string[], rows: string[][], align: ('left' | 'right')[]): string {
  const widths = header.map((title, column) => Math.max(title.length, 3, ...rows.map((row) => row[column].length)));
  const pad = (cell: string, column: number): string =>
    align[column] === 'right' ? cell.padStart(widths[column]) : cell.padEnd(widths[column]);
  const line = (cells: string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (align[column] === 'right' ? `${'-'.repeat(width + 1)}:` : `:${'-'.repeat(width + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
