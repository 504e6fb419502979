import fc from 'fast-check';

import { InvalidArgumentError } from '../src/errors.js';
import type { EnergyLayerShape, LayerShape, RankAllocation } from '../src/rank-selection.js';
import {
  breakEvenRank,
  denseParameterCount,
  factorizedParameterCount,
  rankFromScale,
  ranksByEnergy,
  ranksForParameterRatio,
} from '../src/rank-selection.js';

// Parameter count of a model with the given ranks, written out independently of the module.
function recount(layers: readonly LayerShape[], ranks: Record<string, number | null>): number {
  return layers.reduce((total, layer) => {
    const rank = ranks[layer.name];
    const factors = layer.factors ?? 2;
    const weight =
      rank === null
        ? layer.rows * layer.columns
        : rank * (layer.rows + layer.columns) + (factors === 3 ? rank * rank : 0);
    return total + weight + (layer.bias ?? 0) + (layer.fixedParameters ?? 0);
  }, 0);
}

function denseTotal(layers: readonly LayerShape[]): number {
  return layers.reduce(
    (total, layer) => total + layer.rows * layer.columns + (layer.bias ?? 0) + (layer.fixedParameters ?? 0),
    0,
  );
}

function saves(layer: LayerShape, rank: number): boolean {
  const factors = layer.factors ?? 2;
  return rank * (layer.rows + layer.columns) + (factors === 3 ? rank * rank : 0) < layer.rows * layer.columns;
}

const MNIST_MLP: LayerShape[] = [
  { name: 'hidden1', rows: 784, columns: 512, bias: 512 },
  { name: 'hidden2', rows: 512, columns: 256, bias: 256 },
  { name: 'output', rows: 256, columns: 10, bias: 10 },
];

const layerArbitrary = fc.record(
  {
    rows: fc.integer({ min: 1, max: 300 }),
    columns: fc.integer({ min: 1, max: 300 }),
    bias: fc.integer({ min: 0, max: 300 }),
    fixedParameters: fc.integer({ min: 0, max: 100 }),
    factorize: fc.boolean(),
    factors: fc.constantFrom<2 | 3>(2, 3),
  },
  { requiredKeys: ['rows', 'columns'] },
);

const modelArbitrary = fc
  .array(layerArbitrary, { minLength: 1, maxLength: 6 })
  .map((layers) => layers.map((layer, index): LayerShape => ({ name: `layer${index}`, ...layer })));

const ratioArbitrary = fc.double({ min: 0.001, max: 1, noNaN: true });

// Runs an allocation; when the ratio is below the reachable minimum, checks the error instead.
function allocateOrCheckError(run: () => RankAllocation): RankAllocation | undefined {
  try {
    return run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('ratio');
    return undefined;
  }
}

describe('rankFromScale', () => {
  it('scales the smaller dimension', () => {
    expect(rankFromScale(0.25, 40, 100)).toBe(10);
  });

  it('rounds halves to even', () => {
    expect(rankFromScale(0.5, 9, 9)).toBe(4);
    expect(rankFromScale(0.5, 11, 20)).toBe(6);
  });

  it('never returns below 1', () => {
    expect(rankFromScale(1e-9, 50, 50)).toBe(1);
  });

  it('returns min at scale 1', () => {
    expect(rankFromScale(1, 30, 7)).toBe(7);
  });

  it('allows overcomplete scales on request', () => {
    expect(rankFromScale(2, 30, 7, { overcomplete: true })).toBe(14);
  });

  it('rejects scales above 1 by default', () => {
    expect(() => rankFromScale(1.5, 30, 7)).toThrow(
      /Invalid scale: expected a number in \(0, 1\], or above 1 together with overcomplete: true, got 1\.5/,
    );
  });

  it.each<[string, () => unknown, RegExp]>([
    ['scale 0', () => rankFromScale(0, 4, 4), /Invalid scale: expected a finite number > 0, got 0/],
    ['scale NaN', () => rankFromScale(Number.NaN, 4, 4), /Invalid scale: .*got NaN/],
    ['rows 0', () => rankFromScale(0.5, 0, 4), /Invalid rows: expected a positive integer, got 0/],
    ['columns 2.5', () => rankFromScale(0.5, 4, 2.5), /Invalid columns: .*got 2\.5/],
    [
      'overcomplete string',
      () => rankFromScale(0.5, 4, 4, { overcomplete: 'yes' as never }),
      /Invalid options\.overcomplete: expected a boolean, got "yes"/,
    ],
  ])('rejects %s', (_label, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('parameter counts', () => {
  it('counts a dense layer with bias', () => {
    expect(denseParameterCount(784, 256, { bias: 256 })).toBe(784 * 256 + 256);
  });

  it('counts two factors', () => {
    expect(factorizedParameterCount(784, 256, 10)).toBe(10 * (784 + 256));
  });

  it('counts three factors and bias', () => {
    expect(factorizedParameterCount(784, 256, 10, { factors: 3, bias: 256 })).toBe(
      10 * (784 + 256) + 100 + 256,
    );
  });

  it('rejects a fractional rank', () => {
    expect(() => factorizedParameterCount(4, 4, 1.5)).toThrow(
      /Invalid rank: expected a positive integer, got 1\.5/,
    );
  });

  it('rejects four factors', () => {
    expect(() => factorizedParameterCount(4, 4, 1, { factors: 4 as never })).toThrow(
      /Invalid options\.factors: expected 2 \(U·V\) or 3 \(U·M·V\), got 4/,
    );
  });

  it('rejects a negative bias', () => {
    expect(() => denseParameterCount(4, 4, { bias: -1 })).toThrow(
      /Invalid options\.bias: expected a non-negative integer, got -1/,
    );
  });
});

describe('breakEvenRank', () => {
  it('is mn/(m+n) for two factors', () => {
    expect(breakEvenRank(100, 300)).toBe(75);
  });

  it('solves r² + r(m+n) = mn for three factors', () => {
    const rank = breakEvenRank(100, 100, { factors: 3 });
    expect(rank).toBeCloseTo(-100 + Math.sqrt(20000), 12);
    expect(rank * rank + 200 * rank).toBeCloseTo(10000, 8);
  });

  it('separates saving from non-saving ranks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom<2 | 3>(2, 3),
        (rows, columns, factors) => {
          const limit = breakEvenRank(rows, columns, { factors });
          const below = Math.ceil(limit) - 1;
          const atOrAbove = Math.ceil(limit);
          if (below >= 1) {
            expect(factorizedParameterCount(rows, columns, below, { factors })).toBeLessThan(rows * columns);
          }
          expect(factorizedParameterCount(rows, columns, atOrAbove, { factors })).toBeGreaterThanOrEqual(
            rows * columns,
          );
        },
      ),
      { numRuns: 200, seed: 1 },
    );
  });
});

describe('ranksForParameterRatio', () => {
  it('fits an MLP into 10 % of its parameters', () => {
    const allocation = ranksForParameterRatio(MNIST_MLP, 0.1);
    expect(allocation.parameters).toBeLessThanOrEqual(0.1 * allocation.denseParameters);
    expect(allocation.parameters).toBe(recount(MNIST_MLP, allocation.ranks));
  });

  it('reports the dense total', () => {
    expect(ranksForParameterRatio(MNIST_MLP, 0.1).denseParameters).toBe(denseTotal(MNIST_MLP));
  });

  it('leaves no room for the next rank step', () => {
    // Every layer's rank follows one shared scale, so the next scale at which any rank changes
    // must overshoot the budget.
    const allocation = ranksForParameterRatio(MNIST_MLP, 0.1);
    const scale = allocation.rankScale as number;
    const nextScale = Math.min(
      ...MNIST_MLP.map((layer) => {
        const size = Math.min(layer.rows, layer.columns);
        return (Math.floor(scale * size + 0.5) + 0.5) / size;
      }),
    );
    const nextRanks: Record<string, number | null> = {};
    for (const layer of MNIST_MLP) {
      const rank = Math.max(1, Math.round(nextScale * Math.min(layer.rows, layer.columns) + 1e-9));
      nextRanks[layer.name] = saves(layer, rank) ? rank : null;
    }
    expect(recount(MNIST_MLP, nextRanks)).toBeGreaterThan(0.1 * allocation.denseParameters);
  });

  it('keeps a layer dense past break-even', () => {
    // A 100×100 layer saves parameters only below rank 50, so from scale 0.495 on it stays
    // dense, while the 1000×10 layer still saves up to rank 9. Budget 19 000 of 20 000: rank 9
    // would give 19 090, rank 8 gives 18 080.
    const layers: LayerShape[] = [
      { name: 'square', rows: 100, columns: 100 },
      { name: 'tall', rows: 1000, columns: 10 },
    ];
    expect(ranksForParameterRatio(layers, 0.95).ranks).toEqual({ square: null, tall: 8 });
  });

  it('keeps every layer dense at ratio 1', () => {
    const allocation = ranksForParameterRatio(MNIST_MLP, 1);
    expect(Object.values(allocation.ranks)).toEqual([null, null, null]);
    expect(allocation.ratio).toBe(1);
  });

  it('honours factorize false', () => {
    const layers = MNIST_MLP.map((layer) =>
      layer.name === 'output' ? { ...layer, factorize: false } : layer,
    );
    expect(ranksForParameterRatio(layers, 0.2).ranks.output).toBeNull();
  });

  it('honours a fixed rank', () => {
    const layers = MNIST_MLP.map((layer) => (layer.name === 'hidden2' ? { ...layer, rank: 7 } : layer));
    const allocation = ranksForParameterRatio(layers, 0.2);
    expect(allocation.ranks.hidden2).toBe(7);
    expect(allocation.parameters).toBe(recount(layers, allocation.ranks));
  });

  it('counts fixed parameters on both sides', () => {
    const layers: LayerShape[] = [
      ...MNIST_MLP,
      { name: 'batchNorm', rows: 1, columns: 1, factorize: false, fixedParameters: 2048 },
    ];
    const allocation = ranksForParameterRatio(layers, 0.1);
    expect(allocation.denseParameters).toBe(denseTotal(layers));
    expect(allocation.parameters).toBe(recount(layers, allocation.ranks));
  });

  it('reaches exact decimal budgets', () => {
    // 0.57 × 100 is 56.99999999999999 in floating point. Rank 1 of the 12×5 layer (17 parameters)
    // plus the 40 dense ones make exactly 57, which must fit.
    const layers: LayerShape[] = [
      { name: 'small', rows: 12, columns: 5 },
      { name: 'filler', rows: 1, columns: 40, factorize: false },
    ];
    expect(ranksForParameterRatio(layers, 0.57).parameters).toBe(57);
  });

  it('gives the minimum in its error', () => {
    // Rank 1 everywhere: 1·(784+512) + 1·(512+256) + 1·(256+10) + biases 778 = 3108 parameters.
    const minimum = 1296 + 768 + 266 + 778;
    const dense = denseTotal(MNIST_MLP);
    expect(() => ranksForParameterRatio(MNIST_MLP, 0.001)).toThrow(InvalidArgumentError);
    expect(() => ranksForParameterRatio(MNIST_MLP, 0.001)).toThrow(
      new RegExp(
        `Invalid ratio: expected a number in \\[${String(minimum / dense).replace(
          '.',
          '\\.',
        )}, 1\\]; .* ${minimum} of ${dense} parameters.*got 0\\.001`,
      ),
    );
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'ratio 0',
      () => ranksForParameterRatio(MNIST_MLP, 0),
      /Invalid ratio: expected a number in \(0, 1\], got 0/,
    ],
    ['ratio above 1', () => ranksForParameterRatio(MNIST_MLP, 1.5), /Invalid ratio: .*got 1\.5/],
    ['ratio NaN', () => ranksForParameterRatio(MNIST_MLP, Number.NaN), /Invalid ratio: .*got NaN/],
    [
      'no layers',
      () => ranksForParameterRatio([], 0.5),
      /Invalid layers: expected a non-empty array of layer shapes, got \[\]/,
    ],
    [
      'repeated name',
      () => ranksForParameterRatio([MNIST_MLP[0], { ...MNIST_MLP[1], name: 'hidden1' }], 0.5),
      /Invalid layers\[1\]\.name: expected a name no other layer has, got "hidden1"/,
    ],
    [
      'empty name',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], name: '' }], 0.5),
      /Invalid layers\[0\]\.name: expected a non-empty string, got ""/,
    ],
    [
      'fractional rows',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], rows: 2.5 }], 0.5),
      /Invalid layers\[0\]\.rows: expected a positive integer, got 2\.5/,
    ],
    [
      'negative bias',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], bias: -1 }], 0.5),
      /Invalid layers\[0\]\.bias: .*got -1/,
    ],
    [
      'fractional fixed',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], fixedParameters: 0.5 }], 0.5),
      /Invalid layers\[0\]\.fixedParameters: .*got 0\.5/,
    ],
    [
      'rank 0',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], rank: 0 }], 0.5),
      /Invalid layers\[0\]\.rank: expected a positive integer, got 0/,
    ],
    [
      'rank on dense layer',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], rank: 3, factorize: false }], 0.5),
      /Invalid layers\[0\]\.rank: expected no rank on a layer with factorize: false, got 3/,
    ],
    [
      'factorize string',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], factorize: 'no' as never }], 0.5),
      /Invalid layers\[0\]\.factorize: expected a boolean, got "no"/,
    ],
    [
      'factors 1',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], factors: 1 as never }], 0.5),
      /Invalid layers\[0\]\.factors: .*got 1/,
    ],
    [
      'unknown key',
      () => ranksForParameterRatio([{ ...MNIST_MLP[0], rnak: 3 } as never], 0.5),
      /Invalid option name in layers\[0\]: .*got "rnak"/,
    ],
    [
      'tolerance 0',
      () => ranksForParameterRatio(MNIST_MLP, 0.5, { tolerance: 0 }),
      /Invalid options\.tolerance: .*got 0/,
    ],
    [
      'tolerance 1',
      () => ranksForParameterRatio(MNIST_MLP, 0.5, { tolerance: 1 }),
      /Invalid options\.tolerance: expected a number in \(0, 1\), got 1/,
    ],
  ])('rejects %s', (_label, call, message) => {
    expect(call).toThrow(message);
  });

  it('never exceeds the budget', () => {
    fc.assert(
      fc.property(modelArbitrary, ratioArbitrary, (layers, ratio) => {
        const allocation = allocateOrCheckError(() => ranksForParameterRatio(layers, ratio));
        if (allocation !== undefined) {
          expect(allocation.parameters).toBe(recount(layers, allocation.ranks));
          expect(allocation.parameters).toBeLessThanOrEqual(ratio * allocation.denseParameters * (1 + 1e-15));
        }
      }),
      { numRuns: 200, seed: 2 },
    );
  });

  it('grows monotonically with the ratio', () => {
    fc.assert(
      fc.property(modelArbitrary, ratioArbitrary, ratioArbitrary, (layers, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const small = allocateOrCheckError(() => ranksForParameterRatio(layers, low));
        const large = allocateOrCheckError(() => ranksForParameterRatio(layers, high));
        if (small !== undefined && large !== undefined) {
          expect(small.parameters).toBeLessThanOrEqual(large.parameters);
        }
      }),
      { numRuns: 150, seed: 3 },
    );
  });

  it('factorizes only below break-even', () => {
    fc.assert(
      fc.property(modelArbitrary, ratioArbitrary, (layers, ratio) => {
        const allocation = allocateOrCheckError(() => ranksForParameterRatio(layers, ratio));
        if (allocation !== undefined) {
          for (const layer of layers) {
            const rank = allocation.ranks[layer.name];
            if (layer.factorize === false) {
              expect(rank).toBeNull();
            } else if (rank !== null) {
              expect(saves(layer, rank)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it('rejects only unreachable ratios', () => {
    fc.assert(
      fc.property(modelArbitrary, ratioArbitrary, (layers, ratio) => {
        const minimum = recount(
          layers,
          Object.fromEntries(
            layers.map((layer) => [layer.name, layer.factorize !== false && saves(layer, 1) ? 1 : null]),
          ),
        );
        const reachable = minimum <= ratio * denseTotal(layers) * (1 + 1e-15);
        if (reachable) {
          expect(() => ranksForParameterRatio(layers, ratio)).not.toThrow();
        } else {
          expect(() => ranksForParameterRatio(layers, ratio)).toThrow(/Invalid ratio/);
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});

describe('ranksByEnergy', () => {
  const square: EnergyLayerShape = {
    name: 'square',
    rows: 10,
    columns: 10,
    singularValues: [10, 8, 1, 1, 1, 1, 1, 1, 1, 1],
  };
  const wide: EnergyLayerShape = {
    name: 'wide',
    rows: 10,
    columns: 30,
    singularValues: [10, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5],
  };

  it('spends parameters on the most energy per parameter', () => {
    // Budget 180 of 400; rank 1 each costs 60. square's σ = 8 removes 64/20 per parameter and
    // wins over wide's σ = 8.5 (72.25/40): square → 2 (80), wide → 2, 3 (160), wide's rank 4
    // would need 200, so square → 3 (180). Ranking by σ² alone would give square 1, wide 4.
    const allocation = ranksByEnergy([square, wide], 0.45);
    expect(allocation.ranks).toEqual({ square: 3, wide: 3 });
    expect(allocation.parameters).toBe(180);
  });

  it('reports the retained energy', () => {
    const allocation = ranksByEnergy([square, wide], 0.45);
    const total = 100 + 64 + 8 + 100 + 9 * 72.25;
    expect(allocation.energyRetained).toBeCloseTo((100 + 64 + 1 + 100 + 2 * 72.25) / total, 12);
  });

  it('stops below break-even', () => {
    // With the whole dense budget, square stops at rank 4 (break-even 5) and wide at 7 (7.5).
    const allocation = ranksByEnergy([square, wide], 1);
    expect(allocation.ranks).toEqual({ square: 4, wide: 7 });
  });

  it('stops at zero singular values', () => {
    const allocation = ranksByEnergy([{ ...square, singularValues: [3, 2, 0, 0, 0] }], 1);
    expect(allocation.ranks.square).toBe(2);
  });

  it('stops at the last singular value', () => {
    expect(ranksByEnergy([{ ...wide, singularValues: new Float64Array([5, 4, 3]) }], 1).ranks.wide).toBe(3);
  });

  it('needs no spectrum for dense layers', () => {
    const allocation = ranksByEnergy([square, { name: 'head', rows: 10, columns: 2, factorize: false }], 1);
    expect(allocation.ranks.head).toBeNull();
  });

  it('honours a fixed rank', () => {
    expect(ranksByEnergy([square, { ...wide, singularValues: undefined, rank: 2 }], 1).ranks.wide).toBe(2);
  });

  it.each<[string, EnergyLayerShape, RegExp]>([
    [
      'missing spectrum',
      { ...square, singularValues: undefined },
      /Invalid layers\[0\]\.singularValues: expected the singular values/,
    ],
    [
      'ascending spectrum',
      { ...square, singularValues: [1, 2] },
      /Invalid layers\[0\]\.singularValues\[1\]: expected a value ≤ the one before it \(1\).*got 2/,
    ],
    [
      'negative value',
      { ...square, singularValues: [1, -1] },
      /Invalid layers\[0\]\.singularValues\[1\]: expected a singular value ≥ 0, got -1/,
    ],
    [
      'NaN value',
      { ...square, singularValues: [Number.NaN] },
      /Invalid layers\[0\]\.singularValues\[0\]: expected a finite number, got NaN/,
    ],
    [
      'empty spectrum',
      { ...square, singularValues: [] },
      /Invalid layers\[0\]\.singularValues\.length: expected a length in \[1, 10\].*got 0/,
    ],
    [
      'too many values',
      { ...square, rows: 2, singularValues: [3, 2, 1] },
      /Invalid layers\[0\]\.singularValues\.length: expected a length in \[1, 2\].*got 3/,
    ],
  ])('rejects %s', (_label, layer, message) => {
    expect(() => ranksByEnergy([layer], 0.5)).toThrow(message);
  });

  const spectrumModel = modelArbitrary.chain((layers) =>
    fc.tuple(
      ...layers.map((layer) =>
        fc
          .array(fc.double({ min: 0, max: 100, noNaN: true }), {
            minLength: 1,
            maxLength: Math.min(layer.rows, layer.columns),
          })
          .map((values): EnergyLayerShape => ({ ...layer, singularValues: values.sort((a, b) => b - a) })),
      ),
    ),
  );

  it('never exceeds the budget', () => {
    fc.assert(
      fc.property(spectrumModel, ratioArbitrary, (layers, ratio) => {
        const allocation = allocateOrCheckError(() => ranksByEnergy(layers, ratio));
        if (allocation !== undefined) {
          expect(allocation.parameters).toBe(recount(layers, allocation.ranks));
          expect(allocation.parameters).toBeLessThanOrEqual(ratio * allocation.denseParameters * (1 + 1e-15));
        }
      }),
      { numRuns: 200, seed: 6 },
    );
  });

  it('keeps ranks in their limits', () => {
    fc.assert(
      fc.property(spectrumModel, ratioArbitrary, (layers, ratio) => {
        const allocation = allocateOrCheckError(() => ranksByEnergy(layers, ratio));
        if (allocation !== undefined) {
          for (const layer of layers) {
            const rank = allocation.ranks[layer.name];
            if (layer.factorize === false || !saves(layer, 1)) {
              expect(rank).toBeNull();
            } else {
              expect(rank).toBeGreaterThanOrEqual(1);
              expect(saves(layer, rank as number)).toBe(true);
              expect(rank).toBeLessThanOrEqual((layer.singularValues as number[]).length);
            }
          }
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('grows monotonically with the ratio', () => {
    fc.assert(
      fc.property(spectrumModel, ratioArbitrary, ratioArbitrary, (layers, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const small = allocateOrCheckError(() => ranksByEnergy(layers, low));
        const large = allocateOrCheckError(() => ranksByEnergy(layers, high));
        if (small !== undefined && large !== undefined) {
          expect(small.parameters).toBeLessThanOrEqual(large.parameters);
        }
      }),
      { numRuns: 150, seed: 8 },
    );
  });
});
