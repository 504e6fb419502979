import fc from 'fast-check';

import { InvalidArgumentError } from '../src/errors.js';
import type { FactorizationOptions } from '../src/options.js';
import { FACTORIZATION_OPTION_KEYS, resolveFactorizationOptions } from '../src/options.js';

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

describe('resolveFactorizationOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveFactorizationOptions({ rank: 4 }, 20, 10);

    expect(resolved).toEqual({
      rank: 4,
      factors: 2,
      overcomplete: false,
      initialization: 'spectral',
      kernelInitializer: { name: 'glorotUniform' },
      seed: undefined,
      frobeniusDecay: 0,
      weightDecay: 0,
    });
  });

  it('keeps every given option', () => {
    const resolved = resolveFactorizationOptions(
      {
        rank: 30,
        factors: 3,
        overcomplete: true,
        initialization: 'standard',
        kernelInitializer: 'he_normal' as 'heNormal', // Keras spelling, as in a saved config
        seed: 9,
        frobeniusDecay: 1e-4,
        weightDecay: 5e-4,
      },
      20,
      10,
    );

    expect(resolved).toEqual({
      rank: 30,
      factors: 3,
      overcomplete: true,
      initialization: 'standard',
      kernelInitializer: { name: 'heNormal' },
      seed: 9,
      frobeniusDecay: 1e-4,
      weightDecay: 5e-4,
    });
  });

  it('uses the adapter default initializer', () => {
    const resolved = resolveFactorizationOptions({ rank: 2 }, 8, 8, { kernelInitializer: 'heUniform' });

    expect(resolved.kernelInitializer.name).toBe('heUniform');
  });

  it('keeps any rank up to min', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        (rows, columns, pick) => {
          const rank = 1 + (pick % Math.min(rows, columns));
          expect(resolveFactorizationOptions({ rank }, rows, columns).rank).toBe(rank);
        },
      ),
      { seed: 3, numRuns: 100 },
    );
  });

  it('rounds rankScale times min', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 1e-6, max: 1, noNaN: true }),
        (rows, columns, rankScale) => {
          const exact = rankScale * Math.min(rows, columns);
          const rank = resolveFactorizationOptions({ rankScale }, rows, columns).rank;
          expect(Number.isInteger(rank)).toBe(true);
          expect(Math.abs(rank - Math.max(1, exact))).toBeLessThanOrEqual(0.5);
        },
      ),
      { seed: 4, numRuns: 100 },
    );
  });

  it('allows rankScale above 1 when overcomplete', () => {
    const resolved = resolveFactorizationOptions(
      { rankScale: 2.5, overcomplete: true, initialization: 'standard' },
      12,
      8,
    );

    expect(resolved.rank).toBe(20);
  });

  it('allows spectral overcomplete within min', () => {
    const resolved = resolveFactorizationOptions({ rank: 8, overcomplete: true }, 12, 8);

    expect(resolved.initialization).toBe('spectral');
  });

  // Each case: options, the option the error must name, and the value as the message shows it.
  const invalidCases: [string, FactorizationOptions, string, string][] = [
    ['rank 0', { rank: 0 }, 'rank', 'got 0.'],
    ['rank 2.5', { rank: 2.5 }, 'rank', 'got 2.5.'],
    ['rank NaN', { rank: Number.NaN }, 'rank', 'got NaN.'],
    ['negative rank', { rank: -3 }, 'rank', 'got -3.'],
    ['rank as a string', { rank: '4' as unknown as number }, 'rank', 'got "4".'],
    ['rank above min', { rank: 9 }, 'rank', 'got 9.'],
    ['rankScale 0', { rankScale: 0 }, 'rankScale', 'got 0.'],
    ['negative rankScale', { rankScale: -0.5 }, 'rankScale', 'got -0.5.'],
    ['rankScale NaN', { rankScale: Number.NaN }, 'rankScale', 'got NaN.'],
    ['rankScale above 1', { rankScale: 1.5 }, 'rankScale', 'got 1.5.'],
    ['rank and rankScale', { rank: 2, rankScale: 0.5 }, 'rank and rankScale', 'got {"rank":2,"rankScale":0.5}.'],
    ['spectral overcomplete', { rank: 9, overcomplete: true }, 'initialization', 'got "spectral".'],
    ['factors 4', { rank: 2, factors: 4 as 2 }, 'factors', 'got 4.'],
    ['unknown initialization', { rank: 2, initialization: 'svd' as 'spectral' }, 'initialization', 'got "svd".'],
    ['unknown initializer', { rank: 2, kernelInitializer: 'xavier' as 'zeros' }, 'kernelInitializer', 'got "xavier"'],
    ['negative frobeniusDecay', { rank: 2, frobeniusDecay: -1e-4 }, 'frobeniusDecay', 'got -0.0001.'],
    ['infinite frobeniusDecay', { rank: 2, frobeniusDecay: Infinity }, 'frobeniusDecay', 'got Infinity.'],
    ['NaN weightDecay', { rank: 2, weightDecay: Number.NaN }, 'weightDecay', 'got NaN.'],
    ['fractional seed', { rank: 2, seed: 1.5 }, 'seed', 'got 1.5.'],
    ['overcomplete as a string', { rank: 2, overcomplete: 'yes' as unknown as boolean }, 'overcomplete', 'got "yes".'],
    [
      'seed unlike initializer seed',
      { rank: 2, seed: 1, kernelInitializer: { name: 'glorotUniform', seed: 2 } },
      'seed',
      'got 1.',
    ],
  ];

  it.each(invalidCases)('rejects %s', (_case, options, argument, shownValue) => {
    const error = catchError(() => resolveFactorizationOptions(options, 12, 8));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain(`Invalid ${argument}`);
    expect(error.message).toContain(shownValue);
  });

  it('rejects neither rank nor rankScale', () => {
    const error = catchError(() => resolveFactorizationOptions({}, 12, 8));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'Missing rank: set rank to a positive integer, or else rankScale in (0, 1] as a fraction of ' +
        'min(inputSize, outputSize) = 8.',
    );
  });

  it('explains the overcomplete rank error', () => {
    const error = catchError(() => resolveFactorizationOptions({ rank: 9 }, 12, 8));

    expect(error.message).toContain('overcomplete: true');
    expect(error.message).toContain('min(inputSize, outputSize) = 8');
  });

  it('explains the spectral overcomplete error', () => {
    const error = catchError(() => resolveFactorizationOptions({ rankScale: 2, overcomplete: true }, 12, 8));

    expect(error.message).toContain("'standard'");
    expect(error.message).toContain('gradients of both factors vanish');
  });

  it.each([
    ['options', null, 10, 10],
    ['inputSize', { rank: 2 }, 0, 10],
    ['outputSize', { rank: 2 }, 10, 2.5],
  ])('rejects invalid %s', (argument, options, inputSize, outputSize) => {
    const error = catchError(() => resolveFactorizationOptions(options as FactorizationOptions, inputSize, outputSize));

    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain(`Invalid ${argument}`);
  });
});

describe('FACTORIZATION_OPTION_KEYS', () => {
  // Required<…> makes the compiler reject this literal when the interface gains or loses a key.
  const everyOption: Required<FactorizationOptions> = {
    rank: 2,
    rankScale: 0.5,
    factors: 2,
    overcomplete: false,
    initialization: 'spectral',
    kernelInitializer: 'glorotUniform',
    seed: 1,
    frobeniusDecay: 0,
    weightDecay: 0,
  };

  it('lists every option key', () => {
    expect([...FACTORIZATION_OPTION_KEYS].sort()).toEqual(Object.keys(everyOption).sort());
  });
});
