import * as tf from '@tensorflow/tfjs';
import type { ConvScheme } from '@factorized/core';
import {
  collapse,
  factorizedParameterCount,
  frobeniusNorm,
  fullSvd,
  InvalidArgumentError,
  matricizeConvKernel,
  Matrix,
  NonFiniteValueError,
  spectralFactors,
  subtract,
  UnsupportedError,
} from '@factorized/core';
import type { FactorizeModelOptions, ResolvedFactorizeOptions } from './factorize-options.js';
import { resolveFactorizeOptions } from './factorize-options.js';
import type {
  FactorizedLayerReport,
  FactorizeResult,
  FactorizeWarning,
  SkippedLayerReport,
} from './factorize-report.js';
import type { FactorizableClassName } from './factorized-config.js';
import { factorizableClassOf, kernelMatrixShape, twinConfig, unsupportedConfigReason } from './factorized-config.js';
import type { LayerSelection } from './layer-selection.js';
import { isInputLayer, selectLayers } from './layer-selection.js';
import type { LayerReplacement, ModelLayer } from './model-graph.js';
import { listLayers, listNestedModels, rebuildModel } from './model-graph.js';
import type { RankCandidate, RankDecision } from './rank-plan.js';
import { planRanks } from './rank-plan.js';

/** A Dense or Conv2D layer that the options select and whose config has a factorized twin. */
interface SelectedLayer {
  entry: ModelLayer;
  className: FactorizableClassName;
  config: tf.serialization.ConfigDict;
}

/** A selected layer with its trained weights and kernel matrix shape. */
interface Candidate extends RankCandidate, SelectedLayer {
  kernel: Float32Array;
  kernelShape: number[];
  biasValues: Float32Array | null;
}

/**
 * Returns a new model in which Dense and Conv2D layers are replaced by FactorizedDense and
 * FactorizedConv2D layers whose factors come from the truncated SVD of the trained kernel, and a
 * report of what was done. `model` is left unchanged, and the new model is not compiled.
 *
 * Each factorized layer gets U = P_r Σ_r^½ and V = Σ_r^½ Q_rᵀ (and M = I for three factors) from
 * the SVD W ≈ P_r Σ_r Q_rᵀ of its kernel matrix (core's spectralFactors), so U·V is the best
 * rank-r approximation of W when the SVD is exact (what core's 'auto' method runs when the
 * smaller side of the matrix is at most 256, or the rank above a fifth of it). Conv kernels are
 * matricized by `options.scheme`. Biases, activations and every other layer's weights are
 * copied. Names and the topology (branches, merges, shared layers, multiple inputs and outputs,
 * nested models) stay as they are. Layers of other classes, custom layers included, are copied
 * unchanged.
 *
 * Ranks come from `ranks` for the layers named there, else from `rankScale` (default 0.25) or
 * from `parameterRatio` with `allocation`. A rank from a rule that would not save parameters
 * (at or above the break-even rank mn/(m+n) of an m × n kernel matrix) keeps the layer as it
 * is. The new layers are constructed with their regularizers (`frobeniusDecay`, `weightDecay`,
 * bias and activity regularizers), so they enter the loss of model.fit.
 *
 * The work yields to the event loop before each layer's SVD and calls `onProgress`. The SVDs cost
 * O(m·n·min(m, n)) each with the exact method, and 'energy' allocation adds a full SVD of every
 * layer.
 *
 * Throws InvalidArgumentError for an invalid option, naming it (layer names are checked against
 * the model and the message lists its layers), NonFiniteValueError for NaN or ±Infinity in the
 * weights of a selected layer, before any SVD, and UnsupportedError for a layer named in `layers`
 * or `ranks` whose config has no factorized equivalent (such a layer found by the default
 * selection is skipped instead). Every layer class must be registered with tf.serialization, as
 * tf.loadLayersModel requires, because the new model is built from the old one's config.
 */
export async function factorizeModel(
  model: tf.LayersModel,
  options: FactorizeModelOptions = {},
): Promise<FactorizeResult> {
  if (!(model instanceof tf.LayersModel)) {
    throw new InvalidArgumentError('model', model, 'a tf.LayersModel, such as tf.sequential() or tf.model() returns');
  }
  const resolved = resolveFactorizeOptions(options);
  const layers = listLayers(model);
  const selection = selectLayers(layers, listNestedModels(model), resolved);
  const { selected, skipped } = sortLayers(layers, selection, resolved);

  const candidates: Candidate[] = [];
  for (const { entry, className, config } of selected) {
    candidates.push(await readCandidate(entry, className, config, resolved.scheme, selection.ranks));
  }

  if (resolved.rule.kind === 'ratio' && resolved.rule.allocation === 'energy') {
    const needSpectrum = candidates.filter((candidate) => candidate.fixedRank === undefined);
    for (const [index, candidate] of needSpectrum.entries()) {
      await reportProgress(resolved, { layer: candidate.path, index, total: needSpectrum.length, stage: 'spectrum' });
      candidate.singularValues = fullSvd(kernelMatrix(candidate, resolved.scheme)).singularValues;
    }
  }

  const candidateParameters = candidates.reduce(
    (sum, candidate) => sum + candidate.rows * candidate.columns + candidate.bias,
    0,
  );
  const decisions = planRanks(candidates, model.countParams() - candidateParameters, resolved.rule, resolved.factors);

  const factorized: FactorizedLayerReport[] = [];
  const warnings: FactorizeWarning[] = [];
  const replacements = new Map<string, LayerReplacement>();
  const chosen = candidates.filter((candidate) => decisions.get(candidate.path)?.rank !== null);
  for (const candidate of candidates) {
    const decision = decisions.get(candidate.path) as RankDecision;
    if (decision.rank === null) {
      skipped.push(skip(candidate.entry, 'break-even', decision.detail));
      continue;
    }

    await reportProgress(resolved, {
      layer: candidate.path,
      index: chosen.indexOf(candidate),
      total: chosen.length,
      stage: 'factorize',
    });
    const result = factorizeCandidate(candidate, decision.rank, resolved);
    replacements.set(candidate.path, result.replacement);
    factorized.push(result.report);
    if (decision.warning !== null) {
      warnings.push({ layer: candidate.path, message: decision.warning });
    }
    warnings.push(...result.warnings.map((message) => ({ layer: candidate.path, message })));
  }

  const rebuilt = rebuildModel(model, replacements);
  const order = new Map(layers.map((entry, index) => [entry.path, index]));
  const byModelOrder = (a: { layer: string }, b: { layer: string }): number =>
    (order.get(a.layer) ?? 0) - (order.get(b.layer) ?? 0);
  const parametersBefore = model.countParams();
  const parametersAfter = rebuilt.countParams();

  return {
    model: rebuilt,
    report: {
      factorized,
      skipped: skipped.sort(byModelOrder),
      warnings,
      parametersBefore,
      parametersAfter,
      parameterRatio: parametersBefore === 0 ? 1 : parametersAfter / parametersBefore,
    },
  };
}

/**
 * Sorts the layers of a model into those selected for factorization and those skipped, with
 * the reason. Input layers are neither. Throws UnsupportedError for a layer named in the
 * options whose config has no factorized equivalent.
 */
function sortLayers(
  layers: readonly ModelLayer[],
  selection: LayerSelection,
  options: ResolvedFactorizeOptions,
): { selected: SelectedLayer[]; skipped: SkippedLayerReport[] } {
  const selected: SelectedLayer[] = [];
  const skipped: SkippedLayerReport[] = [];
  for (const entry of layers) {
    if (isInputLayer(entry.layer)) {
      continue;
    }
    const className = factorizableClassOf(entry.layer);
    if (className === null) {
      skipped.push(skip(entry, 'unsupported-type', 'only Dense and Conv2D layers are factorized'));
      continue;
    }
    if (!selection.isSelected(entry)) {
      const selector = options.layers === undefined ? 'ranks' : 'layers';
      skipped.push(skip(entry, 'not-selected', `the ${selector} option does not select it`));
      continue;
    }

    const config = JSON.parse(JSON.stringify(entry.layer.getConfig())) as tf.serialization.ConfigDict;
    const reason = unsupportedConfigReason(className, config);
    if (reason !== null) {
      if (selection.named.has(entry.path)) {
        throw new UnsupportedError(`Layer ${entry.path} cannot be factorized: ${reason}.`);
      }
      skipped.push(skip(entry, 'unsupported-config', reason));
      continue;
    }
    selected.push({ entry, className, config });
  }
  return { selected, skipped };
}

/** Computes the factors of a candidate at `rank` and the replacement layer, report entry and warnings. */
function factorizeCandidate(
  candidate: Candidate,
  rank: number,
  options: ResolvedFactorizeOptions,
): { replacement: LayerReplacement; report: FactorizedLayerReport; warnings: string[] } {
  const twin = twinConfig(candidate.className, candidate.config, {
    rank,
    factors: options.factors,
    scheme: options.scheme,
    frobeniusDecay: options.frobeniusDecay,
    weightDecay: options.weightDecay,
  });
  const { weights, relativeError } = factorWeights(candidate, rank, options);

  const report: FactorizedLayerReport = {
    layer: candidate.path,
    className: candidate.className,
    newClassName: twin.className,
    rank,
    rows: candidate.rows,
    columns: candidate.columns,
    parametersBefore: candidate.rows * candidate.columns + candidate.bias,
    parametersAfter: factorizedParameterCount(candidate.rows, candidate.columns, rank, {
      factors: options.factors,
      bias: candidate.bias,
    }),
    relativeError,
    frobeniusDecay: twin.frobeniusDecay,
  };
  return {
    replacement: { className: twin.className, config: twin.config, weights },
    report,
    warnings: twin.warnings,
  };
}

function skip(entry: ModelLayer, reason: SkippedLayerReport['reason'], detail: string): SkippedLayerReport {
  return { layer: entry.path, className: entry.layer.getClassName(), reason, detail };
}

/**
 * Reads the kernel and bias of a selected layer, rejecting NaN and ±Infinity, and checks its
 * fixed rank against the kernel matrix.
 */
async function readCandidate(
  entry: ModelLayer,
  className: FactorizableClassName,
  config: tf.serialization.ConfigDict,
  scheme: ConvScheme,
  ranks: ReadonlyMap<string, { rank: number; key: string }>,
): Promise<Candidate> {
  const weights = entry.layer.weights;
  const kernelWeight = weights.find((weight) => /(^|\/)kernel$/.test(weight.originalName));
  const biasWeight = weights.find((weight) => /(^|\/)bias$/.test(weight.originalName)) ?? null;
  if (kernelWeight === undefined) {
    throw new UnsupportedError(
      `Layer ${entry.path} has no weight named kernel (weights: ${weights.map((weight) => weight.originalName).join(', ')}).`,
    );
  }

  const kernel = await readFinite(entry.path, kernelWeight);
  const biasValues = biasWeight === null ? null : await readFinite(entry.path, biasWeight);
  const kernelShape = kernelWeight.shape as number[];
  const { rows, columns } = kernelMatrixShape(className, kernelShape, scheme);

  const fixed = ranks.get(entry.path);
  if (fixed !== undefined && fixed.rank > Math.min(rows, columns)) {
    throw new InvalidArgumentError(
      `ranks.${fixed.key}`,
      fixed.rank,
      `an integer in [1, ${Math.min(rows, columns)}], min(rows, columns) of the ${rows}×${columns} kernel ` +
        `matrix of layer ${entry.path}, because spectral factors have no more columns than that`,
    );
  }

  return {
    path: entry.path,
    rows,
    columns,
    bias: biasValues?.length ?? 0,
    fixedRank: fixed?.rank,
    entry,
    className,
    config,
    kernel,
    kernelShape,
    biasValues,
  };
}

async function readFinite(path: string, weight: tf.LayerVariable): Promise<Float32Array> {
  const values = (await weight.read().data()) as Float32Array;
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new NonFiniteValueError(
      `Weight ${weight.originalName} of layer ${path} contains ${values[bad]} at flat index ${bad}. ` +
        'factorizeModel needs finite weights, because the SVD of a matrix with NaN or ±Infinity is undefined.',
    );
  }
  return values;
}

/** Returns the kernel of a candidate as the float64 matrix that is factorized. */
function kernelMatrix(candidate: Candidate, scheme: ConvScheme): Matrix {
  if (candidate.className === 'Dense') {
    return Matrix.from(candidate.rows, candidate.columns, candidate.kernel);
  }
  return matricizeConvKernel(candidate.kernel, candidate.kernelShape as [number, number, number, number], scheme);
}

/**
 * Computes the spectral factors of a candidate's kernel at `rank` and returns the new layer's
 * weight values (left, middle for three factors, right, bias) and the relative Frobenius error
 * of the float32 factors.
 */
function factorWeights(
  candidate: Candidate,
  rank: number,
  options: ResolvedFactorizeOptions,
): { weights: Float32Array[]; relativeError: number } {
  const kernel = kernelMatrix(candidate, options.scheme);
  const factors = spectralFactors(kernel, rank, { factors: options.factors, svd: options.svd });
  const left = factors.left.toFloat32Array();
  const right = factors.right.toFloat32Array();

  // The error of what the layer stores: the product of the float32 factors (M = I is exact).
  const product = collapse({
    left: Matrix.from(candidate.rows, rank, left),
    right: Matrix.from(rank, candidate.columns, right),
  });
  const kernelNorm = frobeniusNorm(kernel);
  const relativeError = kernelNorm === 0 ? 0 : frobeniusNorm(subtract(kernel, product)) / kernelNorm;

  const weights = [left];
  if ('middle' in factors) {
    weights.push(factors.middle.toFloat32Array());
  }
  weights.push(right);
  if (candidate.biasValues !== null) {
    weights.push(candidate.biasValues);
  }
  return { weights, relativeError };
}

async function reportProgress(
  options: ResolvedFactorizeOptions,
  progress: Parameters<NonNullable<ResolvedFactorizeOptions['onProgress']>>[0],
): Promise<void> {
  // Yielding lets a browser repaint and Node serve timers between SVDs.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  options.onProgress?.(progress);
}
