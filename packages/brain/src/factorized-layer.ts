import type { Factors, FactorGradients, RegularizerResult } from '@factorized/core';
import {
  collapse as collapseFactors,
  frobeniusDecay,
  InvalidArgumentError,
  Matrix,
  ShapeMismatchError,
  validateFactors,
  weightDecay,
} from '@factorized/core';

import type { FactorRole } from './brain-types.js';
import type { FactorWeights } from './factor-weights.js';
import { brainRowsFromMatrix, matrixFromBrainRows, readBrainRows } from './weight-layout.js';

/** Arguments of the FactorizedLayer constructor. */
export interface FactorizedLayerInit {
  id: string;
  left: FactorWeights;
  middle?: FactorWeights | null;
  right: FactorWeights;
  frobeniusDecay: number;
  weightDecay: number;
}

/** Both regularizers of one factorized layer at its current factors, in core's layout. */
export interface FactorizedLayerRegularization {
  /** (λ/2)·‖U·V‖²_F (or ‖U·M·V‖²_F) and its gradients, λ = `frobeniusDecay`. */
  frobeniusDecay: RegularizerResult;
  /** (λ/2)·(‖U‖²_F + ‖V‖²_F (+ ‖M‖²_F)) and its gradients, λ = `weightDecay`. */
  weightDecay: RegularizerResult;
}

/**
 * The factor layers of one factorized fully connected layer of a FeedForward network, with its
 * regularization coefficients: the handle to read, replace, regularize and collapse the factors
 * in core's layout (U: in × rank, M: rank × rank, V: rank × out, W = U·V or U·M·V: in × out).
 *
 * Get the handles of a network with `factorizedLayers(net)`.
 */
export class FactorizedLayer {
  readonly id: string;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly rank: number;
  /** λ of the Frobenius decay (λ/2)·‖U·V‖²_F, added at every learning step. */
  readonly frobeniusDecay: number;
  /** λ of the weight decay (λ/2)·(‖U‖²_F + ‖V‖²_F) on the factors, added at every learning step. */
  readonly weightDecay: number;
  readonly left: FactorWeights;
  readonly middle: FactorWeights | null;
  readonly right: FactorWeights;

  private decayCache: { weights: unknown[]; gradients: FactorGradients } | null = null;

  /**
   * Links the factor layers into one factorized layer. Throws ShapeMismatchError unless left is
   * rank × in, middle rank × rank and right out × rank (brain.js order, see FactorWeights), and
   * InvalidArgumentError when a factor has another role or already belongs to a layer.
   */
  constructor(init: FactorizedLayerInit) {
    const { id, left, right } = init;
    const middle = init.middle ?? null;
    checkRole('left', left, 'left');
    checkRole('right', right, 'right');
    if (middle !== null) {
      checkRole('middle', middle, 'middle');
    }

    this.id = id;
    this.rank = left.height;
    this.inputSize = left.width;
    this.outputSize = right.height;
    checkFactorShape(id, 'right', right, this.outputSize, this.rank);
    if (middle !== null) {
      checkFactorShape(id, 'middle', middle, this.rank, this.rank);
    }

    this.frobeniusDecay = checkDecay('frobeniusDecay', init.frobeniusDecay);
    this.weightDecay = checkDecay('weightDecay', init.weightDecay);
    this.left = left;
    this.middle = middle;
    this.right = right;

    for (const factor of this.factorLayers()) {
      if (factor.factorizedLayer !== null && factor.factorizedLayer !== this) {
        throw new InvalidArgumentError(
          `${factor.role} factor of layer "${id}"`,
          factor.layerId,
          'a factor layer that belongs to no other factorized layer',
        );
      }
      factor.factorizedLayer = this;
    }
  }

  /** 2 for U·V, 3 for U·M·V. */
  get factorCount(): 2 | 3 {
    return this.middle === null ? 2 : 3;
  }

  /** Returns copies of the factors in core's layout, as float64 matrices. */
  getFactors(): Factors {
    const left = this.readFactor(this.left);
    const right = this.readFactor(this.right);
    return this.middle === null ? { left, right } : { left, middle: this.readFactor(this.middle), right };
  }

  /**
   * Replaces the factors with `factors` in core's layout, rounded to float32. Throws as
   * core's validateFactors does, and ShapeMismatchError unless the shapes and the factor
   * count equal the layer's.
   */
  setFactors(factors: Factors): void {
    validateFactors(factors);
    const middle = 'middle' in factors ? factors.middle : undefined;
    if ((middle === undefined) !== (this.middle === null)) {
      throw new ShapeMismatchError(
        `Layer "${this.id}" has ${this.factorCount} factors, but ${middle === undefined ? 2 : 3} were given.`,
      );
    }

    checkCoreShape(this.id, 'left', factors.left, this.inputSize, this.rank);
    checkCoreShape(this.id, 'right', factors.right, this.rank, this.outputSize);
    this.left.weights = brainRowsFromMatrix(factors.left, true);
    this.right.weights = brainRowsFromMatrix(factors.right, true);
    if (middle !== undefined && this.middle !== null) {
      checkCoreShape(this.id, 'middle', middle, this.rank, this.rank);
      this.middle.weights = brainRowsFromMatrix(middle, true);
    }
  }

  /** Returns the product U·V (or U·M·V), the in × out kernel that the layer applies as Wᵀ·x. */
  collapse(): Matrix {
    return collapseFactors(this.getFactors());
  }

  /** Computes both regularizers and their gradients with core, in core's layout. */
  regularization(): FactorizedLayerRegularization {
    const factors = this.getFactors();
    return {
      frobeniusDecay: frobeniusDecay(factors, this.frobeniusDecay),
      weightDecay: weightDecay(factors, this.weightDecay),
    };
  }

  /**
   * Returns the decay gradients λ_FD·∂FD/∂F + λ_WD·F that the next backward step adds to the
   * deltas of each factor F, in core's layout. The same code computes what `compare` adds.
   */
  regularizerGradients(): FactorGradients {
    const toCore = (factor: FactorWeights): Matrix => {
      const rows = this.regularizerGradientRows(factor);
      return new Matrix(factor.height, factor.width, rows ?? undefined).transpose();
    };

    const left = toCore(this.left);
    const right = toCore(this.right);
    return this.middle === null ? { left, right } : { left, middle: toCore(this.middle), right };
  }

  /**
   * Adds λ_FD·∂FD/∂F + λ_WD·F to the deltas of factor layer F (brain.js order). The
   * Frobenius-decay gradients come from core's frobeniusDecay, O((in + out)·rank²), computed
   * once per step for all factors and reused while the factor weights are the same objects.
   *
   * NOTE: the reuse assumes weights change only by assignment (brain.js' praxis returns new
   * arrays at every step, and setFactors assigns new ones). Code that edits a factor's
   * weights in place must call setFactors, or this adds the gradient of the old weights.
   */
  addRegularizerGradient(factor: FactorWeights): void {
    const gradient = this.regularizerGradientRows(factor);
    if (gradient === null) {
      return;
    }

    const { height, width } = factor;
    const readback = factor.deltas;
    const deltas = readBrainRows(`deltas of the ${factor.role} factor of layer "${this.id}"`, readback, height, width);
    for (let y = 0; y < height; y++) {
      const row = deltas[y];
      for (let x = 0; x < width; x++) {
        row[x] += gradient[y * width + x];
      }
    }

    if (!Array.isArray(readback)) {
      // NOTE: a GPU backend returned the deltas as a texture, and readBrainRows read it into new
      // arrays, which gpu.js kernels accept as input. The tests run on CPU, so this path is untested.
      releaseTexture(readback);
      factor.deltas = deltas as number[][];
    }
  }

  /** Returns the decay gradient of one factor in brain.js order, row-major, or null when both decays are 0. */
  private regularizerGradientRows(factor: FactorWeights): Float64Array | null {
    if (this.frobeniusDecay === 0 && this.weightDecay === 0) {
      return null;
    }

    const { height, width } = factor;
    const result = new Float64Array(height * width);

    if (this.frobeniusDecay > 0) {
      // Core's gradient is of the core factor, the transpose of what the layer stores.
      const gradient = this.frobeniusDecayGradients()[factor.role];
      if (gradient === undefined) {
        throw new InvalidArgumentError('factor.role', factor.role, `a role of layer "${this.id}"`);
      }
      const data = gradient.data;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          result[y * width + x] = data[x * height + y];
        }
      }
    }

    if (this.weightDecay > 0) {
      const weights = readBrainRows(
        `weights of the ${factor.role} factor of layer "${this.id}"`,
        factor.weights,
        height,
        width,
      );
      for (let y = 0; y < height; y++) {
        const weightRow = weights[y];
        for (let x = 0; x < width; x++) {
          result[y * width + x] += this.weightDecay * weightRow[x];
        }
      }
    }

    return result;
  }

  private frobeniusDecayGradients(): FactorGradients {
    const weights = this.factorLayers().map((factor) => factor.weights);
    const cache = this.decayCache;
    if (cache !== null && cache.weights.every((value, index) => value === weights[index])) {
      return cache.gradients;
    }

    const { gradients } = frobeniusDecay(this.getFactors(), this.frobeniusDecay);
    this.decayCache = { weights, gradients };
    return gradients;
  }

  private factorLayers(): FactorWeights[] {
    return this.middle === null ? [this.left, this.right] : [this.left, this.middle, this.right];
  }

  private readFactor(factor: FactorWeights): Matrix {
    return matrixFromBrainRows(
      `weights of the ${factor.role} factor of layer "${this.id}"`,
      factor.weights,
      factor.height,
      factor.width,
      true,
    );
  }
}

function checkRole(argument: string, factor: FactorWeights, role: FactorRole): void {
  if (factor === null || typeof factor !== 'object' || factor.role !== role) {
    throw new InvalidArgumentError(argument, factor?.role, `a FactorWeights layer with role '${role}'`);
  }
}

function checkFactorShape(id: string, role: FactorRole, factor: FactorWeights, height: number, width: number): void {
  if (factor.height !== height || factor.width !== width) {
    throw new ShapeMismatchError(
      `The ${role} factor of layer "${id}" is ${factor.height}×${factor.width} (brain.js order), ` +
        `but the other factors need ${height}×${width}.`,
    );
  }
}

function checkCoreShape(id: string, role: FactorRole, matrix: Matrix, rows: number, columns: number): void {
  if (matrix.rows !== rows || matrix.columns !== columns) {
    throw new ShapeMismatchError(
      `factors.${role} of layer "${id}" must be ${rows}×${columns}, got ${matrix.rows}×${matrix.columns}.`,
    );
  }
}

function checkDecay(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a finite number ≥ 0');
  }
  return value;
}

function releaseTexture(value: unknown): void {
  const texture = value as { delete?: unknown };
  if (typeof texture.delete === 'function') {
    (texture.delete as () => void)();
  }
}
