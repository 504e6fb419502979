import { InvalidArgumentError } from '../src/errors.js';
import { SeededRandom, randomSeed } from '../src/random.js';

// Statistical checks use N = 10^5 draws and a tolerance of 5 standard errors of the estimator,
// so a correct generator fails a check with probability below 10^-6 (and the seeds are fixed).
const DRAWS = 100_000;
const STANDARD_ERRORS = 5;

function draw(count: number, next: () => number): Float64Array {
  const values = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    values[index] = next();
  }
  return values;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) {
    sum += value;
  }
  return sum / values.length;
}

function variance(values: Float64Array): number {
  const center = mean(values);
  let sum = 0;
  for (const value of values) {
    sum += (value - center) ** 2;
  }
  return sum / (values.length - 1);
}

function correlation(a: Float64Array, b: Float64Array): number {
  const meanA = mean(a);
  const meanB = mean(b);
  let cross = 0;
  for (let index = 0; index < a.length; index++) {
    cross += (a[index] - meanA) * (b[index] - meanB);
  }
  return cross / (a.length - 1) / Math.sqrt(variance(a) * variance(b));
}

describe('SeededRandom', () => {
  it('repeats a sequence for a seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    expect(draw(100, () => a.nextUniform())).toEqual(draw(100, () => b.nextUniform()));
  });

  it('gives different sequences for different seeds', () => {
    const seeds = [
      0,
      1,
      -1,
      2 ** 32,
      2 ** 32 + 1,
      -(2 ** 32),
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const firstValues = seeds.map((seed) => new SeededRandom(seed).nextUniform());
    expect(new Set(firstValues).size).toBe(seeds.length);
  });

  it('decorrelates neighbouring seeds', () => {
    // The first draw of seeds 0..N-1 should look like N independent uniforms.
    const firsts = draw(
      DRAWS,
      (() => {
        let seed = 0;
        return () => new SeededRandom(seed++).nextUniform();
      })(),
    );
    expect(Math.abs(mean(firsts) - 0.5)).toBeLessThan(STANDARD_ERRORS * Math.sqrt(1 / 12 / DRAWS));
    expect(Math.abs(correlation(firsts.subarray(0, DRAWS - 1), firsts.subarray(1)))).toBeLessThan(
      STANDARD_ERRORS / Math.sqrt(DRAWS - 1),
    );
  });

  it('draws uniforms in [0, 1) on a 2^-53 grid', () => {
    const random = new SeededRandom(7);
    const values = draw(10_000, () => random.nextUniform());
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(values.every((value) => Number.isInteger(value * 2 ** 53))).toBe(true);
  });

  it('matches uniform mean and variance', () => {
    const random = new SeededRandom(11);
    const values = draw(DRAWS, () => random.nextUniform());
    // Var(U) = 1/12, fourth central moment 1/80, so SE(sample variance) = √((1/80 − 1/144)/N).
    expect(Math.abs(mean(values) - 0.5)).toBeLessThan(STANDARD_ERRORS * Math.sqrt(1 / 12 / DRAWS));
    expect(Math.abs(variance(values) - 1 / 12)).toBeLessThan(
      STANDARD_ERRORS * Math.sqrt((1 / 80 - 1 / 144) / DRAWS),
    );
  });

  it('draws uncorrelated consecutive uniforms', () => {
    const random = new SeededRandom(12);
    const values = draw(DRAWS + 1, () => random.nextUniform());
    // SE of a sample correlation of independent variables is 1/√N.
    expect(Math.abs(correlation(values.subarray(0, DRAWS), values.subarray(1)))).toBeLessThan(
      STANDARD_ERRORS / Math.sqrt(DRAWS),
    );
  });

  it('matches standard normal moments', () => {
    const random = new SeededRandom(13);
    const values = draw(DRAWS, () => random.nextNormal());
    // SE(mean) = 1/√N; SE(sample variance) = √(2/N) for a normal.
    expect(Math.abs(mean(values))).toBeLessThan(STANDARD_ERRORS / Math.sqrt(DRAWS));
    expect(Math.abs(variance(values) - 1)).toBeLessThan(STANDARD_ERRORS * Math.sqrt(2 / DRAWS));
  });

  it('matches the normal one-sigma mass', () => {
    const random = new SeededRandom(14);
    const values = draw(DRAWS, () => random.nextNormal());
    const inside = values.filter((value) => Math.abs(value) < 1).length / DRAWS;
    const expected = 0.6826894921370859; // erf(1/√2)
    expect(Math.abs(inside - expected)).toBeLessThan(
      STANDARD_ERRORS * Math.sqrt((expected * (1 - expected)) / DRAWS),
    );
  });

  it('keeps the spare normal independent', () => {
    const random = new SeededRandom(15);
    const values = draw(2 * DRAWS, () => random.nextNormal());
    const firsts = values.filter((_, index) => index % 2 === 0);
    const seconds = values.filter((_, index) => index % 2 === 1);
    expect(Math.abs(correlation(firsts, seconds))).toBeLessThan(STANDARD_ERRORS / Math.sqrt(DRAWS));
  });

  it('forks a stream unlike its parent', () => {
    const parent = new SeededRandom(21);
    const child = parent.fork();
    const parentValues = draw(DRAWS, () => parent.nextUniform());
    const childValues = draw(DRAWS, () => child.nextUniform());
    expect(parentValues).not.toEqual(childValues);
    expect(Math.abs(correlation(parentValues, childValues))).toBeLessThan(STANDARD_ERRORS / Math.sqrt(DRAWS));
  });

  it('forks different children each time', () => {
    const parent = new SeededRandom(22);
    const first = parent.fork();
    const second = parent.fork();
    expect(draw(10, () => first.nextUniform())).not.toEqual(draw(10, () => second.nextUniform()));
  });

  it('forks deterministically', () => {
    const a = new SeededRandom(23).fork();
    const b = new SeededRandom(23).fork();
    expect(draw(10, () => a.nextNormal())).toEqual(draw(10, () => b.nextNormal()));
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53), '1', undefined])(
    'rejects seed %p',
    (seed) => {
      expect(() => new SeededRandom(seed as number)).toThrow(InvalidArgumentError);
      expect(() => new SeededRandom(seed as number)).toThrow(/Invalid seed: expected a safe integer/);
    },
  );
});

describe('randomSeed', () => {
  it('returns safe non-negative integers', () => {
    const seeds = Array.from({ length: 100 }, () => randomSeed());
    expect(seeds.every((seed) => Number.isSafeInteger(seed) && seed >= 0)).toBe(true);
  });

  it('returns seeds SeededRandom accepts', () => {
    expect(() => new SeededRandom(randomSeed())).not.toThrow();
  });
});
