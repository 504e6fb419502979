import type { ConvScheme, LayerShape } from '@factorized/core';
import { breakEvenRank, convMatrixShape, rankFromScale, ranksForParameterRatio } from '@factorized/core';
import type { ModelKind } from './config.js';
import { CLASS_COUNT, IMAGE_SIDE, IMAGE_SIZE } from './mnist.js';

/** Conv scheme of the factorized conv layers: 1×kw then kh×1 convs, as in microsoft/fnl_paper. */
export const CONV_SCHEME: ConvScheme = 'paper';

/** One weight layer of a model and what follows it, framework-free. */
export interface WeightLayer {
  name: string;
  kind: 'dense' | 'conv2d';
  /** Input features (dense) or input channels (conv). */
  inputSize: number;
  /** Units (dense) or filters (conv). */
  outputSize: number;
  /** [kh, kw] of a conv layer. */
  kernelSize?: [number, number];
  /** Whether the layer has a bias; layers followed by batch normalization have none, its offset replaces it. */
  useBias: boolean;
  /** Followed by batch normalization (4 parameters per output: scale, offset, moving mean, moving variance). */
  batchNorm: boolean;
  /** Followed by ReLU (and, for conv layers, 2×2 max pooling). */
  hidden: boolean;
  /** Reason the layer is never factorized, or undefined when it can be. */
  keptDense?: string;
}

/** The layers of a model family at a width. */
export interface Architecture {
  model: ModelKind;
  width: number;
  layers: WeightLayer[];
}

/** Factorization of one layer in the low-rank models. */
export interface LayerPlan {
  name: string;
  /** Weight shape as text: "784×256" for dense, "3×3×16→32" for conv. */
  shape: string;
  /** Rows × columns of the matrix that is factorized. */
  rows: number;
  columns: number;
  denseParameters: number;
  /** Rank in the low-rank models, or null when the layer stays dense. */
  rank: number | null;
  /** Parameters of the layer in the low-rank models (equal to denseParameters when it stays dense). */
  parameters: number;
  /** rows·columns / (rows + columns): ranks at or above it save no parameters. */
  breakEvenRank: number;
  /** Reason the layer stays dense, shown in the plan table. */
  note: string;
}

/** The ranks of the low-rank models and the parameter counts they give, whole model included. */
export interface FactorizationPlan {
  layers: LayerPlan[];
  /** Shared rank scale found by core's ranksForParameterRatio. */
  rankScale: number;
  parameters: number;
  denseParameters: number;
  ratio: number;
}

/**
 * Describes the layers of a model family.
 *
 * MLP: 784 → width → width → 10, each hidden layer dense without bias, then batch normalization
 * and ReLU. CNN: two 3×3 same-padded conv layers with `width` and 2·width filters, each followed
 * by batch normalization, ReLU and 2×2 max pooling, then a dense layer of 4·width units with
 * batch normalization and ReLU, then the classifier. The classifier and the CNN's first conv
 * are never factorized, because the paper's reference code (microsoft/fnl_paper) keeps first
 * and last layers dense, and a rank-1 classifier over 10 classes would lose most of its accuracy
 * while saving almost nothing.
 */
export function describeArchitecture(model: ModelKind, width: number): Architecture {
  const classifierNote = 'classifier, kept dense';
  if (model === 'mlp') {
    return {
      model,
      width,
      layers: [
        { name: 'hidden1', kind: 'dense', inputSize: IMAGE_SIZE, outputSize: width, useBias: false, batchNorm: true, hidden: true },
        { name: 'hidden2', kind: 'dense', inputSize: width, outputSize: width, useBias: false, batchNorm: true, hidden: true },
        { name: 'classifier', kind: 'dense', inputSize: width, outputSize: CLASS_COUNT, useBias: true, batchNorm: false, hidden: false, keptDense: classifierNote },
      ],
    };
  }

  const pooledSide = IMAGE_SIDE / 4;
  return {
    model,
    width,
    layers: [
      { name: 'conv1', kind: 'conv2d', inputSize: 1, outputSize: width, kernelSize: [3, 3], useBias: false, batchNorm: true, hidden: true, keptDense: 'first layer, kept dense' },
      { name: 'conv2', kind: 'conv2d', inputSize: width, outputSize: 2 * width, kernelSize: [3, 3], useBias: false, batchNorm: true, hidden: true },
      { name: 'dense1', kind: 'dense', inputSize: pooledSide * pooledSide * 2 * width, outputSize: 4 * width, useBias: false, batchNorm: true, hidden: true },
      { name: 'classifier', kind: 'dense', inputSize: 4 * width, outputSize: CLASS_COUNT, useBias: true, batchNorm: false, hidden: false, keptDense: classifierNote },
    ],
  };
}

/** Rows × columns of the matrix a layer's weight is factorized as (the conv scheme's matricization for conv layers). */
export function weightMatrixShape(layer: WeightLayer): [number, number] {
  if (layer.kind === 'dense') {
    return [layer.inputSize, layer.outputSize];
  }
  const [kh, kw] = layer.kernelSize ?? [1, 1];
  return convMatrixShape([kh, kw, layer.inputSize, layer.outputSize], CONV_SCHEME);
}

/** Parameters of a layer's bias and batch normalization, which never factorize. */
export function fixedParameterCount(layer: WeightLayer): number {
  return (layer.useBias ? layer.outputSize : 0) + (layer.batchNorm ? 4 * layer.outputSize : 0);
}

/** Parameters of the dense model, every weight, bias and batch-normalization statistic included. */
export function denseModelParameterCount(architecture: Architecture): number {
  return architecture.layers.reduce((total, layer) => {
    const [rows, columns] = weightMatrixShape(layer);
    return total + rows * columns + fixedParameterCount(layer);
  }, 0);
}

/**
 * Chooses the ranks of the low-rank models with core's ranksForParameterRatio: one rank scale
 * shared by all factorizable layers, the largest whose whole-model parameter count stays within
 * `ratio` of the dense model's. Layers that cannot save parameters at that scale stay dense.
 * Throws core's InvalidArgumentError when `ratio` is out of range or below the smallest ratio
 * the architecture can reach.
 */
export function planFactorization(architecture: Architecture, ratio: number): FactorizationPlan {
  const shapes: LayerShape[] = architecture.layers.map((layer) => {
    const [rows, columns] = weightMatrixShape(layer);
    return { name: layer.name, rows, columns, fixedParameters: fixedParameterCount(layer), factorize: layer.keptDense === undefined };
  });
  const allocation = ranksForParameterRatio(shapes, ratio);

  const layers = architecture.layers.map((layer, index): LayerPlan => {
    const { rows, columns } = shapes[index];
    const rank = allocation.ranks[layer.name];
    const denseParameters = rows * columns + fixedParameterCount(layer);
    const breakEven = breakEvenRank(rows, columns);
    let note = '';
    if (layer.keptDense !== undefined) {
      note = layer.keptDense;
    } else if (rank === null) {
      note = `no saving: rank ${rankFromScale(allocation.rankScale ?? 0, rows, columns)} ≥ break-even ${breakEven.toFixed(1)}`;
    }
    return {
      name: layer.name,
      shape: layerShapeText(layer),
      rows,
      columns,
      denseParameters,
      rank,
      parameters: rank === null ? denseParameters : rank * (rows + columns) + fixedParameterCount(layer),
      breakEvenRank: breakEven,
      note,
    };
  });

  return {
    layers,
    rankScale: allocation.rankScale ?? 0,
    parameters: allocation.parameters,
    denseParameters: allocation.denseParameters,
    ratio: allocation.ratio,
  };
}

/**
 * Ranks of the overcomplete twin: rank = scale · min(rows, columns) for every layer the low-rank
 * models factorize, null for layers kept dense. With scale > 1 the twin has more parameters than
 * the dense model; collapsing it gives back exactly the dense architecture.
 */
export function overcompleteRanks(plan: FactorizationPlan, scale: number): Record<string, number | null> {
  const ranks: Record<string, number | null> = {};
  for (const layer of plan.layers) {
    ranks[layer.name] = layer.rank === null ? null : rankFromScale(scale, layer.rows, layer.columns, { overcomplete: true });
  }
  return ranks;
}

/** Parameters of a model with the given ranks (null: dense layer), whole model included. */
export function parameterCountWithRanks(architecture: Architecture, ranks: Record<string, number | null>): number {
  return architecture.layers.reduce((total, layer) => {
    const [rows, columns] = weightMatrixShape(layer);
    const rank = ranks[layer.name] ?? null;
    const weights = rank === null ? rows * columns : rank * (rows + columns);
    return total + weights + fixedParameterCount(layer);
  }, 0);
}

function layerShapeText(layer: WeightLayer): string {
  if (layer.kind === 'dense') {
    return `${layer.inputSize}×${layer.outputSize}`;
  }
  const [kh, kw] = layer.kernelSize ?? [1, 1];
  return `${kh}×${kw}×${layer.inputSize}→${layer.outputSize}`;
}
