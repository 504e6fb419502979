import type { EnergyLayerShape, RankAllocation } from '@factorized/core';
import {
  breakEvenRank,
  factorizedParameterCount,
  InvalidArgumentError,
  rankFromScale,
  ranksByEnergy,
  ranksForParameterRatio,
} from '@factorized/core';
import type { ResolvedFactorizeOptions } from './factorize-options.js';
import { renameArgument } from './factorize-options.js';

// The rank of each layer that factorizeModel may factorize, from the rank rule of its options.

/** A layer whose rank is to be chosen: its kernel as a rows × columns matrix. */
export interface RankCandidate {
  path: string;
  rows: number;
  columns: number;
  /** Bias parameters, which stay as they are. */
  bias: number;
  /** The rank given in the `ranks` option, if any. */
  fixedRank: number | undefined;
  /** Singular values of the kernel matrix, descending; needed by the 'energy' allocation. */
  singularValues?: Float64Array;
}

/** The rank chosen for a layer, or why it stays as it is. */
export type RankDecision =
  | { rank: number; warning: string | null }
  | { rank: null; detail: string };

/**
 * Chooses the rank of every candidate by `rule`, a fixed rank taking precedence.
 *
 * A rank from the rule that is at or above the break-even rank (where r·(m+n), plus r² for
 * three factors, reaches m·n) keeps the layer as it is, because factorizing it would not save
 * parameters. A fixed rank there is used, with a warning. For a parameter ratio, the
 * parameters of the rest of the model (`otherParameters`) count in both the model before and
 * after, so the ratio is that of the whole model.
 *
 * Throws InvalidArgumentError naming `parameterRatio` when the candidates cannot reach it.
 */
export function planRanks(
  candidates: readonly RankCandidate[],
  otherParameters: number,
  rule: ResolvedFactorizeOptions['rule'],
  factors: 2 | 3,
): Map<string, RankDecision> {
  let chosen: Map<string, number | null>;
  let keptDense: (candidate: RankCandidate) => string;

  if (rule.kind === 'scale') {
    chosen = new Map(
      candidates.map((candidate) => [
        candidate.path,
        candidate.fixedRank ?? rankFromScale(rule.rankScale, candidate.rows, candidate.columns),
      ]),
    );
    keptDense = (candidate) => {
      const rank = rankFromScale(rule.rankScale, candidate.rows, candidate.columns);
      return `rankScale ${rule.rankScale} gives rank ${rank}, ${breakEvenText(candidate, factors)}`;
    };
  } else {
    const allocation = allocateRanks(candidates, otherParameters, rule, factors);
    chosen = new Map(Object.entries(allocation.ranks));
    const cause =
      rule.allocation === 'energy'
        ? 'even rank 1 is'
        : `the shared rank scale ${allocation.rankScale ?? 0} gives it a rank`;
    keptDense = (candidate) =>
      `the ${rule.allocation} allocation for parameterRatio ${rule.parameterRatio} keeps it as it is, because ` +
      `${cause} ${breakEvenText(candidate, factors)}`;
  }

  const decisions = new Map<string, RankDecision>();
  for (const candidate of candidates) {
    const rank = chosen.get(candidate.path) ?? null;
    const saves = rank !== null && savesParameters(candidate, rank, factors);

    if (candidate.fixedRank !== undefined) {
      const warning = saves
        ? null
        : `rank ${candidate.fixedRank} from the ranks option is ${breakEvenText(candidate, factors)}`;
      decisions.set(candidate.path, { rank: candidate.fixedRank, warning });
    } else if (rank === null || !saves) {
      decisions.set(candidate.path, { rank: null, detail: keptDense(candidate) });
    } else {
      decisions.set(candidate.path, { rank, warning: null });
    }
  }
  return decisions;
}

function allocateRanks(
  candidates: readonly RankCandidate[],
  otherParameters: number,
  rule: Extract<ResolvedFactorizeOptions['rule'], { kind: 'ratio' }>,
  factors: 2 | 3,
): RankAllocation {
  if (candidates.length === 0) {
    if (rule.parameterRatio < 1) {
      throw new InvalidArgumentError(
        'parameterRatio',
        rule.parameterRatio,
        '1, because the model has no Dense or Conv2D layer to factorize',
      );
    }
    return { ranks: {}, parameters: otherParameters, denseParameters: otherParameters, ratio: 1 };
  }

  // NOTE: the parameters outside the candidates are attached to the first candidate as fixed
  // parameters. Core only sums them, so the layer that carries them does not matter.
  const shapes: EnergyLayerShape[] = candidates.map((candidate, index) => {
    const shape: EnergyLayerShape = {
      name: candidate.path,
      rows: candidate.rows,
      columns: candidate.columns,
      bias: candidate.bias,
      fixedParameters: index === 0 ? otherParameters : 0,
      factors,
    };
    if (candidate.fixedRank !== undefined) {
      shape.rank = candidate.fixedRank;
    } else if (rule.allocation === 'energy') {
      shape.singularValues = candidate.singularValues;
    }
    return shape;
  });

  try {
    return rule.allocation === 'energy'
      ? ranksByEnergy(shapes, rule.parameterRatio)
      : ranksForParameterRatio(shapes, rule.parameterRatio);
  } catch (error) {
    if (error instanceof InvalidArgumentError && error.argument === 'ratio') {
      throw renameArgument(error, () => 'parameterRatio');
    }
    throw error;
  }
}

/** Returns true when the factors at `rank` have fewer parameters than the rows × columns kernel. */
function savesParameters(candidate: RankCandidate, rank: number, factors: 2 | 3): boolean {
  return factorizedParameterCount(candidate.rows, candidate.columns, rank, { factors }) < candidate.rows * candidate.columns;
}

function breakEvenText(candidate: RankCandidate, factors: 2 | 3): string {
  const breakEven = breakEvenRank(candidate.rows, candidate.columns, { factors });
  return (
    `at or above the break-even rank ${formatRank(breakEven)} of its ${candidate.rows}×${candidate.columns} ` +
    'kernel matrix, where the factors have as many parameters as the kernel'
  );
}

function formatRank(rank: number): string {
  return Number.isInteger(rank) ? String(rank) : rank.toFixed(2);
}
