import type { FactorizedAdapter, Factors } from '@factorized/core';

import { copyFactors } from './check-context.js';
import {
  collapse,
  FactorizedError,
  frobeniusDecay,
  initializeFactors,
  matMul,
  Matrix,
  matrixOps,
  resolveFactorizationOptions,
  weightDecay,
} from '@factorized/core';

/** A layer of the reference adapter: its factors in core's layout, and whether it was disposed. */
export interface ReferenceLayer {
  factors: Factors;
  disposed: boolean;
}

/** The reference adapter of `createReferenceAdapter`, whose `memory()` counts live factor matrices. */
export type ReferenceAdapter = FactorizedAdapter<ReferenceLayer, Matrix>;

/**
 * Creates an adapter on core's float64 typed-array path: layers are plain factor matrices,
 * regularizers are core's own, and saving is a JSON round trip. It passes every conformance
 * check, so it shows what each member of FactorizedAdapter returns, and the testkit's tests
 * use it to prove that the checks pass on a correct adapter.
 *
 * Each call returns a new adapter with its own count of live factor matrices for `memory()`.
 */
export function createReferenceAdapter(): ReferenceAdapter {
  let liveMatrices = 0;

  const track = (factors: Factors): ReferenceLayer => {
    liveMatrices += 'middle' in factors ? 3 : 2;
    return { factors, disposed: false };
  };

  const checkLive = (layer: ReferenceLayer): Factors => {
    if (layer.disposed) {
      throw new FactorizedError('The reference layer was disposed and cannot be used.');
    }
    return layer.factors;
  };

  return {
    name: 'reference',
    precision: 'float64',
    defaultKernelInitializer: 'glorotUniform',

    createLayer: ({ inputSize, outputSize, options }) => {
      const resolved = resolveFactorizationOptions(options, inputSize, outputSize, {
        kernelInitializer: 'glorotUniform',
      });
      return track(initializeFactors(resolved, inputSize, outputSize));
    },

    readFactors: (layer) => copyFactors(checkLive(layer)),
    collapse: (layer) => collapse(checkLive(layer)),
    predict: (layer, inputs) => matMul(inputs, collapse(checkLive(layer))),
    frobeniusDecay: (factors, coefficient) => frobeniusDecay(factors, coefficient),
    weightDecay: (factors, coefficient) => weightDecay(factors, coefficient),

    // JSON writes every float64 as the shortest decimal that reads back to the same value.
    saveAndLoad: (layer) => track(factorsFromJson(JSON.stringify(factorsToJson(checkLive(layer))))),

    dispose: (layer) => {
      if (!layer.disposed) {
        layer.disposed = true;
        liveMatrices -= 'middle' in layer.factors ? 3 : 2;
      }
    },
    memory: () => liveMatrices,

    tensorOps: {
      ops: matrixOps,
      fromMatrix: (matrix) => matrix.clone(),
      toMatrix: (matrix) => matrix.clone(),
    },
  };
}

interface MatrixJson {
  rows: number;
  columns: number;
  data: number[];
}

type FactorsJson = Partial<Record<'left' | 'middle' | 'right', MatrixJson>>;

function factorsToJson(factors: Factors): FactorsJson {
  const toJson = (matrix: Matrix): MatrixJson => ({
    rows: matrix.rows,
    columns: matrix.columns,
    data: Array.from(matrix.data),
  });
  const json: FactorsJson = { left: toJson(factors.left), right: toJson(factors.right) };
  if ('middle' in factors) {
    json.middle = toJson(factors.middle);
  }
  return json;
}

function factorsFromJson(text: string): Factors {
  const json = JSON.parse(text) as FactorsJson;
  const fromJson = (matrix: MatrixJson | undefined): Matrix => {
    if (matrix === undefined) {
      throw new FactorizedError('Saved reference layer lacks a factor.');
    }
    return Matrix.from(matrix.rows, matrix.columns, matrix.data);
  };

  const left = fromJson(json.left);
  const right = fromJson(json.right);
  return json.middle === undefined ? { left, right } : { left, middle: fromJson(json.middle), right };
}
