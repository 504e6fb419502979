import { describe, expect, it } from '@jest/globals';
import type { FactorizedAdapter, Factors } from '@factorized/core';
import { Matrix } from '@factorized/core';

import { conformanceChecks, createReferenceAdapter, describeConformance } from '../src/index.js';
import type { ReferenceLayer } from '../src/index.js';
import { failingChecks } from './helpers.js';

// The reference adapter is registered the way an adapter package registers itself.
describeConformance(createReferenceAdapter(), { describe, it });

/** Rounds every entry to float32, as a framework that stores float32 weights does. */
function roundToFloat32(matrix: Matrix): Matrix {
  return new Matrix(matrix.rows, matrix.columns, matrix.data.map(Math.fround));
}

function roundFactors(factors: Factors): Factors {
  const left = roundToFloat32(factors.left);
  const right = roundToFloat32(factors.right);
  return 'middle' in factors ? { left, middle: roundToFloat32(factors.middle), right } : { left, right };
}

describe('reference adapter variants', () => {
  it('asynchronous members pass', async () => {
    const reference = createReferenceAdapter();
    const asynchronous: FactorizedAdapter<ReferenceLayer, Matrix> = {
      ...reference,
      createLayer: async (request) => reference.createLayer(request),
      readFactors: async (layer) => reference.readFactors(layer),
      collapse: async (layer) => reference.collapse(layer),
      predict: async (layer, inputs) => reference.predict(layer, inputs),
      frobeniusDecay: async (factors, coefficient) => reference.frobeniusDecay(factors, coefficient),
      weightDecay: async (factors, coefficient) => reference.weightDecay(factors, coefficient),
      saveAndLoad: async (layer) => reference.saveAndLoad(layer),
    };

    expect(await failingChecks(asynchronous)).toEqual([]);
  });

  it('float32 storage passes at float32 tolerance', async () => {
    const reference = createReferenceAdapter();
    const float32: FactorizedAdapter<ReferenceLayer, Matrix> = {
      ...reference,
      precision: 'float32',
      createLayer: async (request) => {
        const layer = await reference.createLayer(request);
        layer.factors = roundFactors(layer.factors);
        return layer;
      },
      frobeniusDecay: async (factors, coefficient) => reference.frobeniusDecay(roundFactors(factors), coefficient),
    };

    expect(await failingChecks(float32)).toEqual([]);
  });

  it('float32 storage fails at float64 tolerance', async () => {
    const reference = createReferenceAdapter();
    const float32: FactorizedAdapter<ReferenceLayer, Matrix> = {
      ...reference,
      createLayer: async (request) => {
        const layer = await reference.createLayer(request);
        layer.factors = roundFactors(layer.factors);
        return layer;
      },
    };

    expect(await failingChecks(float32)).toContain("spectral factors equal core's");
  });

  it('memory and tensor ops are optional', async () => {
    const { memory: _memory, tensorOps: _tensorOps, ...withoutOptional } = createReferenceAdapter();
    const names = conformanceChecks(withoutOptional).map((check) => check.name);

    expect(names).not.toContain('frees every tensor it creates');
    expect(names).not.toContain("tensor ops equal core's matrixOps");
    expect(await failingChecks(withoutOptional)).toEqual([]);
  });
});
