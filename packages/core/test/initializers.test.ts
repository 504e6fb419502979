import { InvalidArgumentError } from '../src/errors.js';
import type { InitializerSpec } from '../src/initializers.js';
import {
  INITIALIZER_NAMES,
  TRUNCATED_NORMAL_STDDEV_FACTOR,
  convFans,
  denseFans,
  drawInitializer,
  initializerMoments,
  resolveInitializer,
} from '../src/initializers.js';
import type { Matrix } from '../src/matrix.js';
import { SeededRandom } from '../src/random.js';

// Moment checks draw N = 250 × 400 = 10^5 entries and allow 5 standard errors of the estimator:
// SE(mean) = σ/√N and SE(sample variance) = √((μ4 − σ⁴)/N), with the fourth central moment μ4
// estimated from the same sample. A correct initializer fails with probability below 10^-6;
// the seeds are fixed, so the outcome is deterministic.
const ROWS = 250;
const COLUMNS = 400;
const STANDARD_ERRORS = 5;
const FAN_IN = ROWS;
const FAN_OUT = COLUMNS;
const FAN_AVG = (FAN_IN + FAN_OUT) / 2;
// Variance of a standard normal truncated to [−2, 2].
const TRUNCATED_VARIANCE = 0.7737413;

interface SampleMoments {
  mean: number;
  variance: number;
  meanError: number;
  varianceError: number;
}

function sampleMoments(matrix: Matrix): SampleMoments {
  const values = matrix.data;
  const count = values.length;
  let sum = 0;
  for (const value of values) {
    sum += value;
  }
  const mean = sum / count;

  let second = 0;
  let fourth = 0;
  for (const value of values) {
    const deviation = (value - mean) ** 2;
    second += deviation;
    fourth += deviation * deviation;
  }
  const variance = second / (count - 1);
  const fourthMoment = fourth / count;
  return {
    mean,
    variance,
    meanError: Math.sqrt(variance / count),
    varianceError: Math.sqrt(Math.max(fourthMoment - variance * variance, 0) / count),
  };
}

function maxAbsoluteDeviation(matrix: Matrix, center: number): number {
  return matrix.data.reduce((max, value) => Math.max(max, Math.abs(value - center)), 0);
}

// Expected variances written out from Keras' definitions, independently of initializerMoments.
const MOMENT_CASES: [string, InitializerSpec, number, number][] = [
  ['glorotUniform', 'glorotUniform', 0, 1 / FAN_AVG],
  ['glorotNormal', 'glorotNormal', 0, 1 / FAN_AVG],
  ['heUniform', 'heUniform', 0, 2 / FAN_IN],
  ['heNormal', 'heNormal', 0, 2 / FAN_IN],
  ['lecunUniform', 'lecunUniform', 0, 1 / FAN_IN],
  ['lecunNormal', 'lecunNormal', 0, 1 / FAN_IN],
  ['truncatedNormal defaults', 'truncatedNormal', 0, 0.05 ** 2 * TRUNCATED_VARIANCE],
  [
    'truncatedNormal shifted',
    { name: 'truncatedNormal', mean: 0.3, stddev: 0.2 },
    0.3,
    0.04 * TRUNCATED_VARIANCE,
  ],
  ['randomNormal defaults', 'randomNormal', 0, 0.05 ** 2],
  ['randomNormal shifted', { name: 'randomNormal', mean: -1, stddev: 3 }, -1, 9],
  ['randomUniform defaults', 'randomUniform', 0, 0.1 ** 2 / 12],
  ['randomUniform shifted', { name: 'randomUniform', minval: 0, maxval: 2 }, 1, 4 / 12],
  ['varianceScaling defaults', 'varianceScaling', 0, 1 / FAN_IN],
  [
    'varianceScaling untruncated fanOut',
    { name: 'varianceScaling', scale: 3, mode: 'fanOut', distribution: 'untruncatedNormal' },
    0,
    3 / FAN_OUT,
  ],
  [
    'varianceScaling snake_case',
    {
      className: 'VarianceScaling',
      config: { scale: 0.5, mode: 'fan_avg', distribution: 'truncated_normal' },
    },
    0,
    0.5 / FAN_AVG,
  ],
  [
    'varianceScaling uniform',
    { name: 'varianceScaling', scale: 2, mode: 'fanAvg', distribution: 'uniform' },
    0,
    2 / FAN_AVG,
  ],
];

describe('drawInitializer', () => {
  describe.each(MOMENT_CASES)('%s', (_label, spec, expectedMean, expectedVariance) => {
    const matrix = drawInitializer(spec, ROWS, COLUMNS, { seed: 1234 });
    const sample = sampleMoments(matrix);

    it('matches the expected mean', () => {
      expect(Math.abs(sample.mean - expectedMean)).toBeLessThan(STANDARD_ERRORS * sample.meanError);
    });

    it('matches the expected variance', () => {
      expect(Math.abs(sample.variance - expectedVariance)).toBeLessThan(
        STANDARD_ERRORS * sample.varianceError,
      );
    });

    it('agrees with initializerMoments', () => {
      const moments = initializerMoments(spec, ROWS, COLUMNS);
      expect(moments.mean).toBeCloseTo(expectedMean, 12);
      expect(Math.abs(moments.variance - expectedVariance)).toBeLessThan(1e-6 * expectedVariance);
    });
  });

  it('draws zeros exactly', () => {
    expect(drawInitializer('zeros', 3, 4).data.every((value) => value === 0)).toBe(true);
  });

  it('draws ones exactly', () => {
    expect(drawInitializer('ones', 3, 4).data.every((value) => value === 1)).toBe(true);
  });

  it('keeps glorotUniform within its limit', () => {
    const limit = Math.sqrt(6 / (FAN_IN + FAN_OUT));
    const matrix = drawInitializer('glorotUniform', ROWS, COLUMNS, { seed: 5 });
    expect(matrix.data.every((value) => value >= -limit && value < limit)).toBe(true);
    // A uniform sample this large comes within 10^-3 of its limit (miss probability e^-50).
    expect(maxAbsoluteDeviation(matrix, 0)).toBeGreaterThan(0.999 * limit);
  });

  it('keeps randomUniform within [minval, maxval)', () => {
    const matrix = drawInitializer({ name: 'randomUniform', minval: 2, maxval: 5 }, ROWS, COLUMNS, {
      seed: 6,
    });
    expect(matrix.data.every((value) => value >= 2 && value < 5)).toBe(true);
  });

  it('truncates truncatedNormal at two stddevs', () => {
    const matrix = drawInitializer({ name: 'truncatedNormal', mean: 1, stddev: 0.5 }, ROWS, COLUMNS, {
      seed: 7,
    });
    expect(maxAbsoluteDeviation(matrix, 1)).toBeLessThanOrEqual(1);
    expect(maxAbsoluteDeviation(matrix, 1)).toBeGreaterThan(0.99);
  });

  it('truncates heNormal at two widened stddevs', () => {
    const stddev = Math.sqrt(2 / FAN_IN) / TRUNCATED_NORMAL_STDDEV_FACTOR;
    const matrix = drawInitializer('heNormal', ROWS, COLUMNS, { seed: 8 });
    expect(maxAbsoluteDeviation(matrix, 0)).toBeLessThanOrEqual(2 * stddev);
    expect(maxAbsoluteDeviation(matrix, 0)).toBeGreaterThan(1.99 * stddev);
  });

  it('leaves randomNormal untruncated', () => {
    const matrix = drawInitializer({ name: 'randomNormal', stddev: 1 }, ROWS, COLUMNS, { seed: 9 });
    // P(|z| > 3) = 0.0027, so about 270 of 10^5 draws land beyond 3 stddevs.
    expect(maxAbsoluteDeviation(matrix, 0)).toBeGreaterThan(3);
  });

  it('uses conv fans when given', () => {
    const fans = convFans([3, 3, 16, 32]);
    const matrix = drawInitializer('heNormal', 3 * 3 * 16, 32, { fans, seed: 10 });
    const stacked = [
      matrix,
      ...[11, 12, 13, 14, 15, 16, 17].map((seed) => drawInitializer('heNormal', 144, 32, { fans, seed })),
    ];
    const values = new Float64Array(stacked.flatMap((part) => Array.from(part.data)));
    const sample = sampleMoments({ data: values } as Matrix);
    expect(Math.abs(sample.variance - 2 / 144)).toBeLessThan(STANDARD_ERRORS * sample.varianceError);
  });

  it('repeats a draw for a seed', () => {
    expect(drawInitializer('glorotNormal', 20, 30, { seed: 3 }).data).toEqual(
      drawInitializer('glorotNormal', 20, 30, { seed: 3 }).data,
    );
  });

  it('differs between seeds', () => {
    expect(drawInitializer('glorotNormal', 20, 30, { seed: 3 }).data).not.toEqual(
      drawInitializer('glorotNormal', 20, 30, { seed: 4 }).data,
    );
  });

  it('repeats orthogonal draws for a seed', () => {
    expect(drawInitializer('orthogonal', 20, 30, { seed: 3 }).data).toEqual(
      drawInitializer('orthogonal', 20, 30, { seed: 3 }).data,
    );
  });

  it('uses the initializer seed', () => {
    expect(drawInitializer({ name: 'heUniform', seed: 5 }, 10, 10).data).toEqual(
      drawInitializer('heUniform', 10, 10, { seed: 5 }).data,
    );
  });

  it('accepts an equal seed twice', () => {
    expect(drawInitializer({ name: 'heUniform', seed: 5 }, 10, 10, { seed: 5 }).data).toEqual(
      drawInitializer('heUniform', 10, 10, { seed: 5 }).data,
    );
  });

  it('advances a shared stream', () => {
    const random = new SeededRandom(6);
    const first = drawInitializer('heUniform', 10, 10, { random });
    const second = drawInitializer('heUniform', 10, 10, { random });
    expect(first.data).not.toEqual(second.data);
  });

  it('matches a fresh stream of the seed', () => {
    expect(drawInitializer('lecunNormal', 8, 9, { random: new SeededRandom(77) }).data).toEqual(
      drawInitializer('lecunNormal', 8, 9, { seed: 77 }).data,
    );
  });

  it('draws unseeded matrices that differ', () => {
    expect(drawInitializer('glorotUniform', 10, 10).data).not.toEqual(
      drawInitializer('glorotUniform', 10, 10).data,
    );
  });

  it('returns the requested shape', () => {
    expect(drawInitializer('glorotUniform', 7, 3, { seed: 1 }).shape).toEqual([7, 3]);
  });
});

describe('drawInitializer orthogonal', () => {
  function gramError(matrix: Matrix, side: 'columns' | 'rows', gain: number): number {
    const size = side === 'columns' ? matrix.columns : matrix.rows;
    const length = side === 'columns' ? matrix.rows : matrix.columns;
    const at = (vector: number, position: number): number =>
      side === 'columns' ? matrix.get(position, vector) : matrix.get(vector, position);
    let worst = 0;
    for (let a = 0; a < size; a++) {
      for (let b = 0; b < size; b++) {
        let dot = 0;
        for (let position = 0; position < length; position++) {
          dot += at(a, position) * at(b, position);
        }
        worst = Math.max(worst, Math.abs(dot - (a === b ? gain * gain : 0)));
      }
    }
    return worst;
  }

  // Householder QR in float64 keeps orthogonality to a few hundred ε for these sizes.
  const TOLERANCE = 1e-12;

  it('gives orthonormal columns when tall', () => {
    expect(gramError(drawInitializer('orthogonal', 60, 20, { seed: 1 }), 'columns', 1)).toBeLessThan(
      TOLERANCE,
    );
  });

  it('gives orthonormal rows when wide', () => {
    expect(gramError(drawInitializer('orthogonal', 20, 60, { seed: 2 }), 'rows', 1)).toBeLessThan(TOLERANCE);
  });

  it('gives an orthogonal square matrix', () => {
    const matrix = drawInitializer('orthogonal', 30, 30, { seed: 3 });
    expect(gramError(matrix, 'columns', 1)).toBeLessThan(TOLERANCE);
    expect(gramError(matrix, 'rows', 1)).toBeLessThan(TOLERANCE);
  });

  it('scales by the gain', () => {
    const matrix = drawInitializer({ name: 'orthogonal', gain: 2.5 }, 40, 10, { seed: 4 });
    expect(gramError(matrix, 'columns', 2.5)).toBeLessThan(2.5 ** 2 * TOLERANCE);
  });

  it('has mean square gain²/max', () => {
    const matrix = drawInitializer({ name: 'orthogonal', gain: 3 }, 12, 50, { seed: 5 });
    const meanSquare = matrix.data.reduce((sum, value) => sum + value * value, 0) / matrix.data.length;
    expect(meanSquare).toBeCloseTo(initializerMoments({ name: 'orthogonal', gain: 3 }, 12, 50).variance, 12);
    expect(meanSquare).toBeCloseTo(9 / 50, 12);
  });

  it('has no sign bias on the diagonal', () => {
    // Without the diag(R) sign fix, Householder QR gives Q[0][0] of one sign far more often.
    const positives = Array.from(
      { length: 400 },
      (_, seed) => drawInitializer('orthogonal', 6, 6, { seed }).get(0, 0) > 0,
    ).filter(Boolean).length;
    // Binomial(400, 1/2): 5 standard deviations are 50.
    expect(Math.abs(positives - 200)).toBeLessThan(50);
  });
});

describe('TRUNCATED_NORMAL_STDDEV_FACTOR', () => {
  it('equals the truncated normal stddev', () => {
    // Simpson's rule on [−2, 2] with 2000 intervals; its error is far below 1e-12 here.
    const intervals = 2000;
    const step = 4 / intervals;
    let mass = 0;
    let second = 0;
    for (let k = 0; k <= intervals; k++) {
      const x = -2 + k * step;
      let weight = k % 2 === 1 ? 4 : 2;
      if (k === 0 || k === intervals) {
        weight = 1;
      }
      const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
      mass += weight * density;
      second += weight * x * x * density;
    }
    expect(Math.abs(Math.sqrt(second / mass) - TRUNCATED_NORMAL_STDDEV_FACTOR)).toBeLessThan(1e-12);
  });
});

describe('denseFans', () => {
  it('uses input and output sizes', () => {
    expect(denseFans(784, 256)).toEqual({ fanIn: 784, fanOut: 256 });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects inputSize %p', (size) => {
    expect(() => denseFans(size, 3)).toThrow(/Invalid inputSize: expected a positive integer/);
  });
});

describe('convFans', () => {
  it('multiplies channels by receptive field', () => {
    expect(convFans([3, 5, 16, 32])).toEqual({ fanIn: 16 * 15, fanOut: 32 * 15 });
  });

  it('treats 1x1 kernels like dense', () => {
    expect(convFans([1, 1, 8, 4])).toEqual({ fanIn: 8, fanOut: 4 });
  });

  it('rejects a three-entry shape', () => {
    expect(() => convFans([3, 3, 16] as unknown as [number, number, number, number])).toThrow(
      /Invalid kernelShape: expected a kernel shape/,
    );
  });

  it('names a bad channel count', () => {
    expect(() => convFans([3, 3, 0, 4])).toThrow(
      /Invalid kernelShape\[2\] \(inChannels\): expected a positive integer, got 0/,
    );
  });
});

describe('resolveInitializer', () => {
  it.each([
    ['glorotUniform', 'glorotUniform'],
    ['glorot_uniform', 'glorotUniform'],
    ['GlorotUniform', 'glorotUniform'],
    ['he_normal', 'heNormal'],
    ['HeUniform', 'heUniform'],
    ['leCunNormal', 'lecunNormal'],
    ['LeCunUniform', 'lecunUniform'],
    ['lecun_normal', 'lecunNormal'],
    ['LecunNormal', 'lecunNormal'],
    ['truncated_normal', 'truncatedNormal'],
    ['RandomUniform', 'randomUniform'],
    ['variance_scaling', 'varianceScaling'],
    ['Orthogonal', 'orthogonal'],
    ['OrthogonalInitializer', 'orthogonal'],
    ['Zeros', 'zeros'],
    ['zero', 'zeros'],
    ['one', 'ones'],
    ['normal', 'randomNormal'],
    ['uniform', 'randomUniform'],
  ])('reads %p as %p', (spelling, name) => {
    expect(resolveInitializer(spelling).name).toBe(name);
  });

  it('resolves every canonical name', () => {
    expect(INITIALIZER_NAMES.map((name) => resolveInitializer(name).name)).toEqual(INITIALIZER_NAMES);
  });

  it('fills in Keras defaults', () => {
    expect(resolveInitializer('varianceScaling')).toEqual({
      name: 'varianceScaling',
      scale: 1,
      mode: 'fanIn',
      distribution: 'truncatedNormal',
    });
    expect(resolveInitializer('truncatedNormal')).toEqual({ name: 'truncatedNormal', mean: 0, stddev: 0.05 });
    expect(resolveInitializer('randomUniform')).toEqual({
      name: 'randomUniform',
      minval: -0.05,
      maxval: 0.05,
    });
    expect(resolveInitializer('orthogonal')).toEqual({ name: 'orthogonal', gain: 1 });
  });

  it('keeps zero-valued parameters', () => {
    expect(resolveInitializer({ name: 'randomUniform', minval: 0, maxval: 1 })).toEqual({
      name: 'randomUniform',
      minval: 0,
      maxval: 1,
    });
  });

  it('reads a TensorFlow.js serialized config', () => {
    expect(
      resolveInitializer({
        className: 'VarianceScaling',
        config: { scale: 2, mode: 'fanAvg', distribution: 'uniform', seed: 9 },
      }),
    ).toEqual({ name: 'varianceScaling', scale: 2, mode: 'fanAvg', distribution: 'uniform', seed: 9 });
  });

  it('reads a Keras serialized config', () => {
    expect(
      resolveInitializer({
        module: 'keras.initializers',
        class_name: 'HeNormal',
        config: { seed: null },
        registered_name: null,
      }),
    ).toEqual({ name: 'heNormal' });
  });

  it("reads distribution 'normal' as truncated", () => {
    expect(resolveInitializer({ name: 'varianceScaling', distribution: 'normal' }).distribution).toBe(
      'truncatedNormal',
    );
  });

  it('reads untruncated_normal', () => {
    expect(
      resolveInitializer({ name: 'varianceScaling', distribution: 'untruncated_normal' }).distribution,
    ).toBe('untruncatedNormal');
  });

  it('reads fan_out', () => {
    expect(resolveInitializer({ name: 'varianceScaling', mode: 'fan_out' }).mode).toBe('fanOut');
  });

  it('lists valid names for an unknown one', () => {
    expect(() => resolveInitializer('xavier')).toThrow(InvalidArgumentError);
    expect(() => resolveInitializer('xavier')).toThrow(
      /Invalid initializer: expected an initializer name, one of 'glorotUniform', .*'ones'.*got "xavier"/,
    );
  });

  it('names the argument it is given', () => {
    expect(() => resolveInitializer('xavier', 'kernelInitializer')).toThrow(/Invalid kernelInitializer:/);
  });

  it('rejects prototype keys as names', () => {
    expect(() => resolveInitializer('constructor')).toThrow(/Invalid initializer:/);
  });

  it('rejects an unsupported initializer', () => {
    expect(() => resolveInitializer('identity')).toThrow(/got "identity"/);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'stddev 0',
      { name: 'randomNormal', stddev: 0 },
      /Invalid initializer\.stddev: expected a finite number > 0, got 0/,
    ],
    ['stddev negative', { name: 'truncatedNormal', stddev: -1 }, /Invalid initializer\.stddev: .*got -1/],
    ['stddev NaN', { name: 'randomNormal', stddev: Number.NaN }, /Invalid initializer\.stddev: .*got NaN/],
    [
      'mean Infinity',
      { name: 'randomNormal', mean: Number.POSITIVE_INFINITY },
      /Invalid initializer\.mean: expected a finite number, got Infinity/,
    ],
    [
      'minval equal maxval',
      { name: 'randomUniform', minval: 1, maxval: 1 },
      /Invalid initializer\.maxval: expected a number greater than minval \(1\), got 1/,
    ],
    [
      'minval above maxval',
      { name: 'randomUniform', minval: 2, maxval: 1 },
      /Invalid initializer\.maxval: .*got 1/,
    ],
    [
      'scale 0',
      { name: 'varianceScaling', scale: 0 },
      /Invalid initializer\.scale: expected a finite number > 0, got 0/,
    ],
    ['scale negative', { name: 'varianceScaling', scale: -2 }, /Invalid initializer\.scale: .*got -2/],
    ['gain 0', { name: 'orthogonal', gain: 0 }, /Invalid initializer\.gain: .*got 0/],
    [
      'bad mode',
      { name: 'varianceScaling', mode: 'fan_sum' },
      /Invalid initializer\.mode: expected one of 'fanIn', .*got "fan_sum"/,
    ],
    [
      'bad distribution',
      { name: 'varianceScaling', distribution: 'cauchy' },
      /Invalid initializer\.distribution: .*got "cauchy"/,
    ],
    [
      'seed 1.5',
      { name: 'heNormal', seed: 1.5 },
      /Invalid initializer\.seed: expected a safe integer.*got 1\.5/,
    ],
    [
      'option of another initializer',
      { name: 'glorotUniform', scale: 2 },
      /Invalid option name in initializer: expected one of 'seed', got "scale"/,
    ],
    ['option of zeros', { name: 'zeros', seed: 1 }, /Invalid option name in initializer: .*got "seed"/],
    ['name missing', { stddev: 1 }, /Invalid initializer\.name: expected an initializer name/],
    ['className not a string', { className: 3 }, /Invalid initializer\.className: .*got 3/],
    [
      'config not an object',
      { className: 'Zeros', config: [] },
      /Invalid initializer\.config: expected an object, got \[\]/,
    ],
    [
      'bad serialized option',
      { className: 'RandomNormal', config: { sd: 1 } },
      /Invalid option name in initializer\.config: .*got "sd"/,
    ],
    ['number', 3, /Invalid initializer: expected an object, got 3/],
    ['null', null, /Invalid initializer: expected an object, got null/],
  ])('rejects %s', (_label, spec, message) => {
    expect(() => resolveInitializer(spec)).toThrow(message);
  });
});

describe('drawInitializer arguments', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['rows 0', () => drawInitializer('zeros', 0, 3), /Invalid rows: expected a positive integer, got 0/],
    [
      'columns 2.5',
      () => drawInitializer('zeros', 3, 2.5),
      /Invalid columns: expected a positive integer, got 2\.5/,
    ],
    [
      'seed NaN',
      () => drawInitializer('heNormal', 2, 2, { seed: Number.NaN }),
      /Invalid options\.seed: .*got NaN/,
    ],
    [
      'seed with random',
      () => drawInitializer('heNormal', 2, 2, { seed: 1, random: new SeededRandom(1) }),
      /Invalid options\.seed: expected no seed when options\.random is given, got 1/,
    ],
    [
      'conflicting seeds',
      () => drawInitializer({ name: 'heNormal', seed: 1 }, 2, 2, { seed: 2 }),
      /Invalid options\.seed: expected the initializer's own seed \(1\) or no seed.*got 2/,
    ],
    [
      'initializer seed with random',
      () => drawInitializer({ name: 'heNormal', seed: 1 }, 2, 2, { random: new SeededRandom(1) }),
      /Invalid initializer\.seed: expected no initializer seed when options\.random is given.*got 1/,
    ],
    [
      'random not a stream',
      () => drawInitializer('heNormal', 2, 2, { random: Math.random as unknown as SeededRandom }),
      /Invalid options\.random: expected a SeededRandom/,
    ],
    [
      'fans zero',
      () => drawInitializer('heNormal', 2, 2, { fans: { fanIn: 0, fanOut: 2 } }),
      /Invalid options\.fans\.fanIn: .*got 0/,
    ],
    [
      'unknown option',
      () => drawInitializer('heNormal', 2, 2, { sed: 1 } as never),
      /Invalid option name in options: .*got "sed"/,
    ],
  ])('rejects %s', (_label, call, message) => {
    expect(call).toThrow(message);
  });
});
