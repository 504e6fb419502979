import type { KernelOutput } from 'gpu.js';
import { InvalidArgumentError, ShapeMismatchError } from '@factorized/core';
import { layer } from 'brain.js';

import type { BrainLayer, BrainLayerSettings, LayerJSON } from './brain-types.js';
import { readBrainRows } from './weight-layout.js';

/** The `type` that the JSON of a ColumnTarget carries, and that `feedForwardFromJSON` looks for. */
export const COLUMN_TARGET_TYPE = 'ColumnTarget';

/**
 * brain.js' target layer with the loss gradient of column outputs fixed.
 *
 * In brain.js 2.0.0-beta.24, `layer.target` (and `layer.output`, which ends in it) compares a
 * column output of width 1 with `targetValues[this.thread.x]`. That index is the first target
 * for every row, so a FeedForward network with more than one output trains every output toward
 * target[0]. This layer computes deltas = output − target row by row, as brain.js does for
 * wider outputs, and behaves like layer.target otherwise: `run` copies its input, and
 * outputs wider than one column use brain.js' own kernel.
 */
export class ColumnTarget extends layer.Target {
  override setupKernels(): void {
    if (this.width !== 1) {
      super.setupKernels();
    }
  }

  override compare(targetValues: KernelOutput): void {
    if (this.width !== 1) {
      super.compare(targetValues);
      return;
    }

    const height = this.height;
    const outputs = readBrainRows('outputs of the target layer', this.weights, height, 1);
    const targets = readTargets(targetValues, height);
    const deltas = outputs.map((row, index) => Float32Array.of(row[0] - targets[index]));

    releaseTexture(this.deltas);
    releaseTexture(this.errors);
    releaseTexture(this.inputLayer.deltas);
    this.deltas = deltas;
    this.inputLayer.deltas = deltas.map((row) => row.slice());
    this.errors = deltas.map((row) => row.slice());
  }

  /** Writes brain.js' layer JSON with type 'ColumnTarget'. */
  override toJSON(): LayerJSON {
    return { ...super.toJSON(), type: COLUMN_TARGET_TYPE };
  }
}

/**
 * Builds a ColumnTarget on `inputLayer`, a drop-in for brain.js' `layer.target(settings,
 * inputLayer)` in the outputLayer of a FeedForward network. Throws InvalidArgumentError
 * unless `settings.height` equals the input layer's height, because the target layer copies
 * its input.
 */
export function columnTarget(settings: BrainLayerSettings, inputLayer: BrainLayer): ColumnTarget {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidArgumentError('settings', settings, 'an object with the height of the output');
  }
  const height = settings.height ?? inputLayer.height;
  if (height !== inputLayer.height) {
    throw new InvalidArgumentError('height', settings.height, `the height of the input layer, ${inputLayer.height}`);
  }
  return new ColumnTarget({ ...settings, height, width: inputLayer.width }, inputLayer);
}

function readTargets(targetValues: unknown, height: number): ArrayLike<number> {
  const values = isTextureLike(targetValues) ? targetValues.toArray() : targetValues;
  if ((values instanceof Float32Array || Array.isArray(values)) && values.length === height) {
    const first: unknown = values[0];
    if (typeof first === 'number') {
      return values as ArrayLike<number>;
    }
    return readBrainRows('target values', values, height, 1).map((row) => row[0]);
  }
  throw new ShapeMismatchError(
    `The target has ${describeLength(values)} values, but the network has ${height} outputs.`,
  );
}

function describeLength(values: unknown): string {
  return values instanceof Float32Array || Array.isArray(values) ? String(values.length) : typeof values;
}

function isTextureLike(value: unknown): value is { toArray(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Float32Array) &&
    typeof (value as { toArray?: unknown }).toArray === 'function'
  );
}

function releaseTexture(value: unknown): void {
  if (isTextureLike(value) && typeof (value as { delete?: unknown }).delete === 'function') {
    (value as unknown as { delete(): void }).delete();
  }
}
