import {
  checkFinite,
  checkKnownKeys,
  checkNonNegativeInteger,
  checkPlainObject,
  checkPositive,
  checkPositiveInteger,
} from './argument-checks.js';
import { InvalidArgumentError } from './errors.js';
import type { FactorCount } from './parameter-counts.js';
import { checkedCount, factorizedWeightCount, rankAt, readFactors } from './parameter-counts.js';

export type { FactorCount } from './parameter-counts.js';
export {
  breakEvenRank,
  denseParameterCount,
  factorizedParameterCount,
  rankFromScale,
} from './parameter-counts.js';

/** One weight of a model for rank selection: a rows × columns matrix plus the parameters that stay dense. */
export interface LayerShape {
  /** Unique key of the layer in the returned `ranks`. */
  name: string;
  /** Rows of the weight matrix (input side: inputSize for dense layers). */
  rows: number;
  /** Columns of the weight matrix. */
  columns: number;
  /** Bias parameters, counted in both the dense and the factorized model (default 0). */
  bias?: number;
  /** Other parameters tied to the layer that never factorize, such as batch-norm scales (default 0). */
  fixedParameters?: number;
  /** false keeps the layer dense (default true). */
  factorize?: boolean;
  /** A fixed rank for this layer, used as given instead of being selected. */
  rank?: number;
  /** Factors of the factorized weight (default 2). */
  factors?: FactorCount;
}

/** A layer with the singular values of its trained weight, for ranksByEnergy. */
export interface EnergyLayerShape extends LayerShape {
  /**
   * Singular values of the weight in descending order, at least one and at most
   * min(rows, columns). The layer's rank never exceeds their count. Needed unless the layer
   * has `factorize: false` or a fixed `rank`.
   */
  singularValues?: Float64Array | readonly number[];
}

/** Ranks chosen for a model and the parameter counts they give. */
export interface RankAllocation {
  /** Rank of each layer by name; null means the layer stays dense. */
  ranks: Record<string, number | null>;
  /** Parameters of the model with these ranks, biases and fixed parameters included. */
  parameters: number;
  /** Parameters of the all-dense model. */
  denseParameters: number;
  /** parameters / denseParameters. */
  ratio: number;
  /** ranksForParameterRatio: the shared rank scale found. */
  rankScale?: number;
  /**
   * ranksByEnergy: share of the squared Frobenius norm (the sum of the given σ²) that the chosen
   * ranks keep, over the layers whose rank was selected.
   */
  energyRetained?: number;
}

/** Options of ranksForParameterRatio. */
export interface RanksForParameterRatioOptions {
  /** Width of the rank-scale interval at which bisection stops, in (0, 1) (default 1e-6). */
  tolerance?: number;
}

const LAYER_KEYS = [
  'name',
  'rows',
  'columns',
  'bias',
  'fixedParameters',
  'factorize',
  'rank',
  'factors',
] as const;

/**
 * Chooses ranks so the whole model's parameters, biases and fixed parameters included, come
 * closest to ratio × (its dense parameter count) without exceeding it. One rank scale is
 * shared by all layers (rank = rankFromScale(scale, rows, columns)), as in microsoft/fnl_paper,
 * the reference code of Khodak et al. (ICLR 2021).
 *
 * A layer stays dense (rank null) when it has `factorize: false` or when the rank its scale
 * gives would not save parameters (rank ≥ breakEvenRank). A layer's fixed `rank` is used as
 * given. The parameter count is non-decreasing in the scale, so bisection on the scale over
 * (0, 1] finds the largest scale within budget, to `tolerance`. A ratio of 1 keeps every layer
 * dense.
 *
 * Throws InvalidArgumentError for a ratio outside (0, 1] and for a ratio below the smallest
 * reachable one, which has rank 1 in every layer that can shrink; the message gives that minimum.
 * It also throws for invalid layers: a missing or repeated name, sizes that are not positive
 * integers, bias or fixedParameters not non-negative integers, `rank` together with
 * `factorize: false`, or factors other than 2 or 3.
 */
export function ranksForParameterRatio(
  layers: readonly LayerShape[],
  ratio: number,
  options: RanksForParameterRatioOptions = {},
): RankAllocation {
  const checked = checkLayers(layers, LAYER_KEYS);
  checkRatio(ratio);
  checkPlainObject('options', options);
  checkKnownKeys('options', options, ['tolerance']);
  const tolerance = options.tolerance ?? 1e-6;
  checkPositive('options.tolerance', tolerance);
  if (tolerance >= 1) {
    throw new InvalidArgumentError('options.tolerance', tolerance, 'a number in (0, 1)');
  }

  const denseParameters = countDense(checked);
  const budget = parameterBudget(ratio, denseParameters);
  const ranksAt = (scale: number): (number | null)[] =>
    checked.map((layer) => {
      if (layer.rank !== undefined) {
        return layer.rank;
      }
      if (!layer.factorize) {
        return null;
      }
      const rank = rankAt(scale, layer.rows, layer.columns);
      return savesParameters(layer, rank) ? rank : null;
    });

  const smallest = ranksAt(0);
  const smallestCount = countParameters(checked, smallest);
  if (smallestCount > budget) {
    throw unreachableRatio(ratio, smallestCount, denseParameters);
  }

  let lower = 0;
  let upper = 1;
  if (countParameters(checked, ranksAt(upper)) <= budget) {
    lower = upper;
  }
  while (upper - lower > tolerance) {
    const middle = (lower + upper) / 2;
    if (countParameters(checked, ranksAt(middle)) <= budget) {
      lower = middle;
    } else {
      upper = middle;
    }
  }

  const ranks = ranksAt(lower);
  const parameters = countParameters(checked, ranks);
  return {
    ranks: toRecord(checked, ranks),
    parameters,
    denseParameters,
    ratio: parameters / denseParameters,
    rankScale: lower,
  };
}

/**
 * Chooses ranks for trained weights from their singular values. Every selected layer starts at
 * rank 1. Each step then raises by one the rank of the layer whose next singular value removes
 * the most squared Frobenius error (σ²) per parameter added (rows + columns, plus 2r + 1 for
 * U·M·V), while the model stays within ratio × its dense parameter count. A layer stops
 * growing when its next rank would reach breakEvenRank, exceed its number of singular values,
 * remove no error (σ = 0) or not fit the budget. Ties go to the earlier layer. The result is
 * greedy, not an exact knapsack optimum.
 *
 * Layers with `factorize: false` stay dense, fixed ranks are used as given, and layers that
 * cannot save parameters even at rank 1 stay dense (null). Errors are those of
 * ranksForParameterRatio, plus InvalidArgumentError for missing, negative, non-finite or
 * ascending singular values, or more of them than min(rows, columns).
 */
export function ranksByEnergy(layers: readonly EnergyLayerShape[], ratio: number): RankAllocation {
  const checked = checkLayers(layers, [...LAYER_KEYS, 'singularValues']);
  checkRatio(ratio);

  const denseParameters = countDense(checked);
  const budget = parameterBudget(ratio, denseParameters);
  const spectra = checked.map((layer, index) => checkSpectrum(layer, layers[index], index));

  const ranks: (number | null)[] = checked.map((layer, index) => {
    if (layer.rank !== undefined) {
      return layer.rank;
    }
    return spectra[index] !== undefined && savesParameters(layer, 1) ? 1 : null;
  });

  let parameters = countParameters(checked, ranks);
  if (parameters > budget) {
    throw unreachableRatio(ratio, parameters, denseParameters);
  }

  const growing = checked.map((_, index) => spectra[index] !== undefined && ranks[index] !== null);
  for (;;) {
    let best = -1;
    let bestEfficiency = -1;
    let bestCost = 0;

    checked.forEach((layer, index) => {
      if (!growing[index]) {
        return;
      }
      const rank = ranks[index] as number;
      const spectrum = spectra[index] as readonly number[];
      const cost =
        factorizedWeightCount(layer.rows, layer.columns, rank + 1, layer.factors) -
        factorizedWeightCount(layer.rows, layer.columns, rank, layer.factors);
      const exhausted = rank + 1 > spectrum.length || spectrum[rank] === 0;
      if (exhausted || !savesParameters(layer, rank + 1) || parameters + cost > budget) {
        // The remaining budget only shrinks, so a layer that cannot grow now never can.
        growing[index] = false;
        return;
      }
      const efficiency = spectrum[rank] ** 2 / cost;
      if (efficiency > bestEfficiency) {
        best = index;
        bestEfficiency = efficiency;
        bestCost = cost;
      }
    });

    if (best < 0) {
      break;
    }
    ranks[best] = (ranks[best] as number) + 1;
    parameters += bestCost;
  }

  let retainedEnergy = 0;
  let totalEnergy = 0;
  spectra.forEach((spectrum, index) => {
    if (spectrum === undefined) {
      return;
    }
    const keptValues = ranks[index] ?? spectrum.length;
    spectrum.forEach((value, position) => {
      totalEnergy += value * value;
      if (position < keptValues) {
        retainedEnergy += value * value;
      }
    });
  });

  return {
    ranks: toRecord(checked, ranks),
    parameters,
    denseParameters,
    ratio: parameters / denseParameters,
    energyRetained: totalEnergy > 0 ? retainedEnergy / totalEnergy : 1,
  };
}

interface CheckedLayer {
  name: string;
  rows: number;
  columns: number;
  bias: number;
  fixedParameters: number;
  factorize: boolean;
  rank: number | undefined;
  factors: FactorCount;
}

function checkLayers(layers: readonly LayerShape[], keys: readonly string[]): CheckedLayer[] {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError('layers', layers, 'a non-empty array of layer shapes');
  }

  const names = new Set<string>();
  return layers.map((layer: unknown, index) => {
    const argument = `layers[${index}]`;
    checkPlainObject(argument, layer);
    checkKnownKeys(argument, layer, keys);

    const { name } = layer;
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`${argument}.name`, name, 'a non-empty string');
    }
    if (names.has(name)) {
      throw new InvalidArgumentError(`${argument}.name`, name, 'a name no other layer has');
    }
    names.add(name);

    checkPositiveInteger(`${argument}.rows`, layer.rows);
    checkPositiveInteger(`${argument}.columns`, layer.columns);
    const bias = layer.bias ?? 0;
    checkNonNegativeInteger(`${argument}.bias`, bias);
    const fixedParameters = layer.fixedParameters ?? 0;
    checkNonNegativeInteger(`${argument}.fixedParameters`, fixedParameters);
    const factorize = layer.factorize ?? true;
    if (typeof factorize !== 'boolean') {
      throw new InvalidArgumentError(`${argument}.factorize`, factorize, 'a boolean');
    }
    const rank = layer.rank;
    if (rank !== undefined) {
      checkPositiveInteger(`${argument}.rank`, rank);
      if (!factorize) {
        throw new InvalidArgumentError(`${argument}.rank`, rank, 'no rank on a layer with factorize: false');
      }
    }
    const factors = readFactors(`${argument}.factors`, layer.factors);

    return {
      name,
      rows: layer.rows,
      columns: layer.columns,
      bias,
      fixedParameters,
      factorize,
      rank,
      factors,
    };
  });
}

function checkSpectrum(
  layer: CheckedLayer,
  raw: EnergyLayerShape,
  index: number,
): readonly number[] | undefined {
  const argument = `layers[${index}].singularValues`;
  const values = raw.singularValues;
  const needed = layer.factorize && layer.rank === undefined;
  if (values === undefined) {
    if (needed) {
      throw new InvalidArgumentError(
        argument,
        values,
        'the singular values of the layer weight, in descending order',
      );
    }
    return undefined;
  }

  if (!(values instanceof Float64Array) && !Array.isArray(values)) {
    throw new InvalidArgumentError(argument, values, 'a Float64Array or an array of numbers');
  }
  const spectrum = Array.from(values as ArrayLike<unknown>);
  const limit = Math.min(layer.rows, layer.columns);
  if (spectrum.length === 0 || spectrum.length > limit) {
    throw new InvalidArgumentError(
      `${argument}.length`,
      spectrum.length,
      `a length in [1, ${limit}] (min(rows, columns))`,
    );
  }
  spectrum.forEach((value, position) => {
    checkFinite(`${argument}[${position}]`, value);
    if (value < 0) {
      throw new InvalidArgumentError(`${argument}[${position}]`, value, 'a singular value ≥ 0');
    }
    if (position > 0 && value > (spectrum[position - 1] as number)) {
      throw new InvalidArgumentError(
        `${argument}[${position}]`,
        value,
        `a value ≤ the one before it (${
          spectrum[position - 1] as number
        }), because singular values come in descending order`,
      );
    }
  });
  return needed ? (spectrum as number[]) : undefined;
}

function checkRatio(ratio: unknown): asserts ratio is number {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw new InvalidArgumentError('ratio', ratio, 'a number in (0, 1]');
  }
}

function savesParameters(layer: CheckedLayer, rank: number): boolean {
  return factorizedWeightCount(layer.rows, layer.columns, rank, layer.factors) < layer.rows * layer.columns;
}

function countDense(layers: readonly CheckedLayer[]): number {
  return checkedCount(
    layers.reduce((sum, layer) => sum + layer.rows * layer.columns + layer.bias + layer.fixedParameters, 0),
  );
}

function countParameters(layers: readonly CheckedLayer[], ranks: readonly (number | null)[]): number {
  let total = 0;
  layers.forEach((layer, index) => {
    const rank = ranks[index];
    const weight =
      rank === null
        ? layer.rows * layer.columns
        : factorizedWeightCount(layer.rows, layer.columns, rank, layer.factors);
    total += weight + layer.bias + layer.fixedParameters;
  });
  return checkedCount(total);
}

/**
 * Returns the largest whole parameter count within ratio × dense. The product is rounded up by a few
 * units in the last place first, so decimal ratios such as 0.29 × 100 reach 29, not 28.
 */
function parameterBudget(ratio: number, denseParameters: number): number {
  const product = ratio * denseParameters;
  return Math.min(denseParameters, Math.floor(product + 4 * Number.EPSILON * product));
}

function unreachableRatio(ratio: number, minimum: number, denseParameters: number): InvalidArgumentError {
  return new InvalidArgumentError(
    'ratio',
    ratio,
    `a number in [${minimum / denseParameters}, 1]; the smallest model these layers allow has ` +
      `${minimum} of ${denseParameters} parameters (every layer that can shrink at rank 1, fixed ranks as given)`,
  );
}

function toRecord(
  layers: readonly CheckedLayer[],
  ranks: readonly (number | null)[],
): Record<string, number | null> {
  const record: Record<string, number | null> = {};
  layers.forEach((layer, index) => {
    record[layer.name] = ranks[index];
  });
  return record;
}
