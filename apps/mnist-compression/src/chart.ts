import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { JobResult, RunSummary } from './report.js';

/**
 * Returns the Vega-Lite spec of the accuracy chart, test accuracy (%) against parameters on a
 * log scale. Each run gets a colored point at its mean over seeds and a vertical bar of ± one
 * standard deviation (visible when it has several seeds). Each seed gets a small dot.
 */
export function accuracyChartSpec(summaries: readonly RunSummary[], results: readonly JobResult[], title: string): TopLevelSpec {
  const labelOf = new Map(summaries.map((summary) => [summary.run, summary.label]));
  const position = plottedPositions(summaries);
  const means = summaries.map((summary) => ({
    run: summary.label,
    parameters: summary.parameters,
    position: position.get(summary.run),
    accuracy: 100 * summary.testAccuracy.mean,
    low: 100 * (summary.testAccuracy.mean - (summary.testAccuracy.std ?? 0)),
    high: 100 * (summary.testAccuracy.mean + (summary.testAccuracy.std ?? 0)),
  }));
  const seeds = results.map((result) => ({
    run: labelOf.get(result.run) ?? result.run,
    parameters: result.parameters,
    position: position.get(result.run) ?? result.parameters,
    accuracy: 100 * result.testAccuracy,
  }));
  const x = { field: 'position', type: 'quantitative', title: 'parameters (log scale)', scale: { type: 'log', padding: 16 } } as const;
  const order = summaries.map((summary) => summary.label);
  const color = { field: 'run', type: 'nominal', title: 'run', sort: order, scale: { scheme: 'tableau10' }, legend: { labelLimit: 400 } } as const;

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'runs with equal parameter counts are spread slightly apart horizontally' },
    width: 520,
    height: 320,
    layer: [
      {
        data: { values: seeds },
        mark: { type: 'point', size: 20, opacity: 0.5 },
        encoding: { x, y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, padding: 12 } }, color },
      },
      {
        data: { values: means },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
      },
      {
        data: { values: means },
        mark: { type: 'point', filled: true, size: 110 },
        encoding: { x, y: { field: 'accuracy', type: 'quantitative' }, color, shape: { field: 'run', type: 'nominal', sort: order, title: 'run', legend: { labelLimit: 400 } }, tooltip: [{ field: 'run' }, { field: 'parameters' }, { field: 'accuracy', format: '.2f' }] },
      },
    ],
  };
}

/**
 * Renders a Vega-Lite spec to an SVG document in Node: Vega-Lite compiles it to Vega, and a
 * headless Vega view (renderer 'none') draws it with `toSVG()`, which needs no canvas.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Returns the x position of each run: its parameter count, with runs that share a count spread
 * by factors of 1.04 around it (a few pixels on a log axis), so their points do not hide each other.
 */
function plottedPositions(summaries: readonly RunSummary[]): Map<string, number> {
  const groups = new Map<number, RunSummary[]>();
  for (const summary of summaries) {
    groups.set(summary.parameters, [...(groups.get(summary.parameters) ?? []), summary]);
  }
  const positions = new Map<string, number>();
  for (const [parameters, group] of groups) {
    group.forEach((summary, index) => positions.set(summary.run, parameters * 1.04 ** (index - (group.length - 1) / 2)));
  }
  return positions;
}
