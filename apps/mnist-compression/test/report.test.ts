import type { FactorizationPlan } from '../src/architecture.js';
import type { JobResult } from '../src/report.js';
import { formatCount, formatDuration, formatPlanTable, formatQuantity, formatResultsTable, meanAndStd, summarizeRuns } from '../src/report.js';

function result(run: JobResult['run'], seed: number, testAccuracy: number, parameters: number): JobResult {
  return {
    run,
    seed,
    parameters,
    trainedParameters: parameters,
    validationAccuracy: testAccuracy,
    testAccuracy,
    diverged: false,
    trainingSeconds: 12,
    history: [],
  };
}

const runs = [
  { name: 'dense' as const, label: 'dense' },
  { name: 'low-rank' as const, label: 'low-rank' },
];

describe('meanAndStd', () => {
  it('uses the sample deviation', () => {
    const { std } = meanAndStd([1, 2, 3, 4]);
    expect(std).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('has no deviation for one value', () => {
    expect(meanAndStd([0.9])).toEqual({ mean: 0.9, std: null });
  });

  it('gives NaN for no values', () => {
    expect(meanAndStd([]).mean).toBeNaN();
  });
});

describe('formatQuantity', () => {
  it('uses the singular for one', () => {
    expect(formatQuantity(1, 'epoch')).toBe('1 epoch');
  });

  it('uses the plural otherwise', () => {
    expect([0, 2].map((count) => formatQuantity(count, 'run'))).toEqual(['0 runs', '2 runs']);
  });
});

describe('summarizeRuns', () => {
  it('computes compression against dense', () => {
    const [, lowRank] = summarizeRuns([result('dense', 1, 0.98, 1000), result('low-rank', 1, 0.95, 100)], runs, 1000);
    expect(lowRank.compression).toBe(10);
  });

  it('skips runs without results', () => {
    expect(summarizeRuns([result('low-rank', 1, 0.95, 100)], runs, 1000).map((summary) => summary.run)).toEqual(['low-rank']);
  });
});

describe('formatResultsTable', () => {
  it('omits the spread column for one seed', () => {
    const table = formatResultsTable(summarizeRuns([result('dense', 1, 0.98, 1000), result('low-rank', 1, 0.95, 100)], runs, 1000));
    expect(table).not.toContain('±');
  });

  it('adds the spread column for several seeds', () => {
    const results = [result('dense', 1, 0.98, 1000), result('dense', 2, 0.96, 1000)];
    const table = formatResultsTable(summarizeRuns(results, runs, 1000));
    expect(table.split('\n')[0]).toContain('± std');
  });

  it('prints accuracy in percent', () => {
    const results = [result('dense', 1, 0.98, 1000), result('dense', 2, 0.96, 1000)];
    const row = formatResultsTable(summarizeRuns(results, runs, 1000)).split('\n')[2];
    expect(row).toMatch(/\| +97\.00 \| +1\.41 \|/);
  });

  it('aligns every line to one width', () => {
    const table = formatResultsTable(summarizeRuns([result('dense', 1, 0.98, 123456), result('low-rank', 1, 0.9, 12345)], runs, 123456));
    expect(new Set(table.split('\n').map((line) => line.length)).size).toBe(1);
  });

  it('marks diverged seeds', () => {
    const diverged = { ...result('low-rank', 1, 0.1, 100), diverged: true };
    expect(formatResultsTable(summarizeRuns([diverged], runs, 1000))).toContain('low-rank (1 diverged)');
  });
});

describe('formatPlanTable', () => {
  const plan: FactorizationPlan = {
    layers: [
      { name: 'hidden1', shape: '784×256', rows: 784, columns: 256, denseParameters: 201728, rank: 14, parameters: 15584, breakEvenRank: 192.98, note: '' },
      { name: 'classifier', shape: '256×10', rows: 256, columns: 10, denseParameters: 2570, rank: null, parameters: 2570, breakEvenRank: 9.62, note: 'classifier, kept dense' },
    ],
    rankScale: 0.05,
    parameters: 18154,
    denseParameters: 204298,
    ratio: 0.0889,
  };

  it('says which layers stay dense', () => {
    const classifierRow = formatPlanTable(plan).split('\n').find((line) => line.startsWith('| classifier'));
    expect(classifierRow).toMatch(/\| +dense \|.*classifier, kept dense/);
  });

  it('ends with the totals', () => {
    const lines = formatPlanTable(plan).split('\n');
    expect(lines[lines.length - 1]).toMatch(/^\| total .*204,298 \| +18,154 \| ratio 0\.0889/);
  });
});

describe('formatCount', () => {
  it('groups digits by three', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});

describe('formatDuration', () => {
  it.each([
    [4.25, '4.3 s'],
    [42.4, '42 s'],
    [210, '3.5 min'],
    [9000, '2.50 h'],
  ])('formats %p seconds', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
