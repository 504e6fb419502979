import { describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from '@factorized/core';

import { conformanceChecks, createReferenceAdapter, describeConformance, INVALID_OPTION_CASES } from '../src/index.js';
import type { TestRegistrar } from '../src/index.js';
import { describeMissingDetails } from '../src/invalid-options.js';

/** Returns a registrar that records what describeConformance registers instead of running it. */
function recordingRegistrar(): TestRegistrar & { blocks: string[]; tests: { name: string; timeout?: number }[] } {
  const blocks: string[] = [];
  const tests: { name: string; timeout?: number }[] = [];
  return {
    blocks,
    tests,
    describe: (name, body) => {
      blocks.push(name);
      body();
    },
    it: (name, _body, timeout) => {
      tests.push(timeout === undefined ? { name } : { name, timeout });
    },
  };
}

describe('conformanceChecks options', () => {
  it('skip leaves a check out', () => {
    const names = conformanceChecks(createReferenceAdapter(), { skip: ['save and load is lossless'] }).map(
      (check) => check.name,
    );

    expect(names).not.toContain('save and load is lossless');
  });

  it('skip rejects an unknown name', () => {
    expect(() => conformanceChecks(createReferenceAdapter(), { skip: ['no such check'] })).toThrow(
      /Invalid skip: expected names of checks, one of .*, got "no such check"/,
    );
  });

  it.each([0, -1e-5, Number.NaN, Number.POSITIVE_INFINITY])('rejects tolerance %p', (tolerance) => {
    expect(() => conformanceChecks(createReferenceAdapter(), { tolerance })).toThrow(InvalidArgumentError);
  });

  it.each([1.5, Number.MAX_SAFE_INTEGER])('rejects seed %p', (seed) => {
    expect(() => conformanceChecks(createReferenceAdapter(), { seed })).toThrow(/Invalid seed/);
  });

  it('rejects an adapter without predict', () => {
    const { predict: _predict, ...incomplete } = createReferenceAdapter();

    expect(() => conformanceChecks(incomplete as never)).toThrow(
      'Invalid adapter.predict: expected a function, got undefined.',
    );
  });

  it('rejects an unknown precision', () => {
    const adapter = { ...createReferenceAdapter(), precision: 'float16' };

    expect(() => conformanceChecks(adapter as never)).toThrow(/Invalid adapter\.precision: .*got "float16"/);
  });

  it('another seed still passes', async () => {
    for (const check of conformanceChecks(createReferenceAdapter(), { seed: 7 })) {
      await expect(check.run()).resolves.toBeUndefined();
    }
  });
});

describe('describeConformance', () => {
  it('registers one block per adapter', () => {
    const registrar = recordingRegistrar();
    describeConformance(createReferenceAdapter(), registrar);

    expect(registrar.blocks).toEqual(['reference conformance']);
  });

  it('registers every check', () => {
    const registrar = recordingRegistrar();
    describeConformance(createReferenceAdapter(), registrar);
    const expected = conformanceChecks(createReferenceAdapter()).map((check) => ({ name: check.name }));

    expect(registrar.tests).toEqual(expected);
  });

  it('passes the timeout to it', () => {
    const registrar = recordingRegistrar();
    describeConformance(createReferenceAdapter(), registrar, { timeout: 30_000 });

    expect(registrar.tests.every((test) => test.timeout === 30_000)).toBe(true);
  });

  it('rejects a missing it', () => {
    expect(() => describeConformance(createReferenceAdapter(), { describe: () => undefined } as never)).toThrow(
      'Invalid registrar.it',
    );
  });

  it('rejects a negative timeout', () => {
    expect(() => describeConformance(createReferenceAdapter(), recordingRegistrar(), { timeout: -1 })).toThrow(
      'Invalid timeout',
    );
  });
});

describe('invalid option messages', () => {
  const rankZero = INVALID_OPTION_CASES.find((testCase) => testCase.option === 'rank' && testCase.value === 0)!;
  const rankScaleZero = INVALID_OPTION_CASES.find((testCase) => testCase.option === 'rankScale' && testCase.value === 0)!;
  const initializer = INVALID_OPTION_CASES.find((testCase) => testCase.option === 'kernelInitializer')!;

  it('accepts option and value', () => {
    expect(describeMissingDetails(new Error('Invalid rank: expected a positive integer, got 0.'), rankZero)).toBeNull();
  });

  it('does not read rankScale as rank', () => {
    expect(describeMissingDetails(new Error('Invalid rankScale: got 0.'), rankZero)).toContain(
      'the option name "rank"',
    );
  });

  it('does not read 0.5 as 0', () => {
    expect(describeMissingDetails(new Error('Invalid rankScale: got 0.5.'), rankScaleZero)).toContain(
      'the value 0',
    );
  });

  it('does not read 10 as 0', () => {
    expect(describeMissingDetails(new Error('Invalid rank: got 10.'), rankZero)).toContain('the value 0');
  });

  it('accepts an unquoted string value', () => {
    expect(
      describeMissingDetails(new Error('Unknown kernelInitializer notAnInitializer.'), initializer),
    ).toBeNull();
  });

  it('rejects a thrown string', () => {
    expect(describeMissingDetails('Invalid rank 0', rankZero)).toBe('it threw "Invalid rank 0", which is not an Error');
  });
});
