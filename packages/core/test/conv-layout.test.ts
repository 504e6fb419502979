import fc from 'fast-check';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';

import type { ConvScheme } from '../src/conv-layout.js';
import {
  convFactorsToKernels,
  convKernelFromMatrix,
  convKernelsToFactors,
  convMatrixShape,
  matricizeConvKernel,
} from '../src/conv-layout.js';
import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { SeededRandom } from '../src/random.js';

type Shape4 = [number, number, number, number];

interface ConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  padding?: 'valid' | 'same';
}

interface Image {
  height: number;
  width: number;
  channels: number;
  data: Float64Array;
}

/**
 * Naive 2-D convolution (cross-correlation, as TensorFlow.js computes it) of an HWC image with
 * a [kh, kw, in, out] kernel. 'same' padding follows TensorFlow: output size ceil(size/stride),
 * total padding max((out − 1)·stride + effective kernel − size, 0), the smaller half first.
 */
function conv2d(image: Image, kernel: Float64Array, shape: Shape4, options: ConvOptions = {}): Image {
  const [kernelHeight, kernelWidth, inChannels, outChannels] = shape;
  const [strideY, strideX] = options.strides ?? [1, 1];
  const [dilationY, dilationX] = options.dilations ?? [1, 1];
  const effectiveHeight = (kernelHeight - 1) * dilationY + 1;
  const effectiveWidth = (kernelWidth - 1) * dilationX + 1;
  expect(image.channels).toBe(inChannels);

  let outHeight: number;
  let outWidth: number;
  let padTop = 0;
  let padLeft = 0;
  if (options.padding === 'same') {
    outHeight = Math.ceil(image.height / strideY);
    outWidth = Math.ceil(image.width / strideX);
    padTop = Math.floor(Math.max((outHeight - 1) * strideY + effectiveHeight - image.height, 0) / 2);
    padLeft = Math.floor(Math.max((outWidth - 1) * strideX + effectiveWidth - image.width, 0) / 2);
  } else {
    outHeight = Math.floor((image.height - effectiveHeight) / strideY) + 1;
    outWidth = Math.floor((image.width - effectiveWidth) / strideX) + 1;
  }

  const output = new Float64Array(outHeight * outWidth * outChannels);
  for (let p = 0; p < outHeight; p++) {
    for (let q = 0; q < outWidth; q++) {
      for (let o = 0; o < outChannels; o++) {
        let sum = 0;
        for (let y = 0; y < kernelHeight; y++) {
          const row = p * strideY + y * dilationY - padTop;
          if (row < 0 || row >= image.height) {
            continue;
          }
          for (let x = 0; x < kernelWidth; x++) {
            const column = q * strideX + x * dilationX - padLeft;
            if (column < 0 || column >= image.width) {
              continue;
            }
            for (let i = 0; i < inChannels; i++) {
              sum +=
                image.data[(row * image.width + column) * inChannels + i] *
                kernel[((y * kernelWidth + x) * inChannels + i) * outChannels + o];
            }
          }
        }
        output[(p * outWidth + q) * outChannels + o] = sum;
      }
    }
  }
  return { height: outHeight, width: outWidth, channels: outChannels, data: output };
}

function randomArray(length: number, random: SeededRandom): Float64Array {
  return Float64Array.from({ length }, () => random.nextNormal());
}

function randomMatrix(rows: number, columns: number, random: SeededRandom): Matrix {
  return new Matrix(rows, columns, randomArray(rows * columns, random));
}

function multiply(a: Matrix, b: Matrix): Matrix {
  const result = new Matrix(a.rows, b.columns);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.columns; k++) {
      for (let j = 0; j < b.columns; j++) {
        result.data[i * b.columns + j] += a.get(i, k) * b.get(k, j);
      }
    }
  }
  return result;
}

function maxDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, value, index) => Math.max(max, Math.abs(value - b[index])), 0);
}

// Each output sums at most a few hundred products of standard normals in float64, so the
// two evaluation orders agree to far better than 1e-11.
const CONV_TOLERANCE = 1e-11;

const shapeArbitrary = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 5 }),
);
const schemeArbitrary = fc.constantFrom<ConvScheme>('paper', 'pointwise');

describe('convMatrixShape', () => {
  it('gives (in·kw) × (out·kh) for paper', () => {
    expect(convMatrixShape([3, 5, 16, 32], 'paper')).toEqual([16 * 5, 32 * 3]);
  });

  it('gives (kh·kw·in) × out for pointwise', () => {
    expect(convMatrixShape([3, 5, 16, 32], 'pointwise')).toEqual([3 * 5 * 16, 32]);
  });

  it('rejects an unknown scheme', () => {
    expect(() => convMatrixShape([3, 3, 1, 1], 'tucker' as ConvScheme)).toThrow(
      /Invalid scheme: expected 'paper' or 'pointwise', got "tucker"/,
    );
  });
});

describe('matricizeConvKernel', () => {
  const shape: Shape4 = [2, 3, 4, 5];
  const kernel = Float64Array.from({ length: 2 * 3 * 4 * 5 }, (_, index) => index);

  it('places paper entries at (x·in + i, y·out + o)', () => {
    const matrix = matricizeConvKernel(kernel, shape, 'paper');
    for (const [y, x, i, o] of [
      [0, 0, 0, 0],
      [1, 2, 3, 4],
      [1, 0, 2, 3],
      [0, 2, 1, 4],
    ]) {
      expect(matrix.get(x * 4 + i, y * 5 + o)).toBe(kernel[((y * 3 + x) * 4 + i) * 5 + o]);
    }
  });

  it('keeps the buffer order for pointwise', () => {
    expect(matricizeConvKernel(kernel, shape, 'pointwise').data).toEqual(kernel);
  });

  it('accepts a Float32Array', () => {
    expect(matricizeConvKernel(Float32Array.from(kernel), shape, 'paper').data).toEqual(
      matricizeConvKernel(kernel, shape, 'paper').data,
    );
  });

  it('has the singular values of the reference layout', () => {
    // The reference reshapes W into (out·kh) × (in·kw) with entry (o·kh + y, i·kw + x).
    const random = new SeededRandom(31);
    const [kh, kw, inChannels, outChannels] = [3, 2, 4, 5];
    const weights = randomArray(kh * kw * inChannels * outChannels, random);
    const reference = MlMatrix.zeros(outChannels * kh, inChannels * kw);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inChannels; i++) {
          for (let o = 0; o < outChannels; o++) {
            reference.set(o * kh + y, i * kw + x, weights[((y * kw + x) * inChannels + i) * outChannels + o]);
          }
        }
      }
    }
    const ours = matricizeConvKernel(weights, [kh, kw, inChannels, outChannels], 'paper');
    const expected = new SingularValueDecomposition(reference, { autoTranspose: true }).diagonal;
    const actual = new SingularValueDecomposition(MlMatrix.from1DArray(ours.rows, ours.columns, ours.data), {
      autoTranspose: true,
    }).diagonal;
    expect(maxDifference(Float64Array.from(actual), Float64Array.from(expected))).toBeLessThan(
      1e-12 * expected[0],
    );
  });

  it('rejects a wrong length', () => {
    expect(() => matricizeConvKernel(new Float64Array(5), shape, 'paper')).toThrow(ShapeMismatchError);
    expect(() => matricizeConvKernel(new Float64Array(5), shape, 'paper')).toThrow(
      /kernel has 5 values, but shape \[2, 3, 4, 5\] needs 120/,
    );
  });

  it('rejects NaN entries', () => {
    const bad = kernel.slice();
    bad[7] = Number.NaN;
    expect(() => matricizeConvKernel(bad, shape, 'pointwise')).toThrow(NonFiniteValueError);
    expect(() => matricizeConvKernel(bad, shape, 'pointwise')).toThrow(/kernel contains NaN at flat index 7/);
  });

  it('rejects a plain array', () => {
    expect(() => matricizeConvKernel([1] as unknown as Float64Array, [1, 1, 1, 1], 'paper')).toThrow(
      /Invalid kernel: expected a Float64Array or Float32Array, got \[1\]/,
    );
  });

  it('rejects a zero dimension', () => {
    expect(() => matricizeConvKernel(kernel, [2, 0, 4, 5], 'paper')).toThrow(
      /Invalid shape\[1\] \(kernelWidth\): expected a positive integer, got 0/,
    );
  });
});

describe('convKernelFromMatrix', () => {
  it('inverts matricizeConvKernel', () => {
    fc.assert(
      fc.property(shapeArbitrary, schemeArbitrary, fc.integer(), (shape, scheme, seed) => {
        const kernel = randomArray(shape[0] * shape[1] * shape[2] * shape[3], new SeededRandom(seed));
        expect(convKernelFromMatrix(matricizeConvKernel(kernel, shape, scheme), shape, scheme)).toEqual(
          kernel,
        );
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it('rejects a transposed matrix', () => {
    expect(() => convKernelFromMatrix(new Matrix(15, 8), [3, 5, 1, 1], 'paper')).toThrow(
      /A kernel of shape \[3, 5, 1, 1\] needs a 5×3 matrix in the 'paper' scheme, got 15×8/,
    );
  });
});

describe('convFactorsToKernels', () => {
  it('returns the documented shapes', () => {
    const random = new SeededRandom(2);
    const kernels = convFactorsToKernels(
      randomMatrix(4 * 3, 6, random),
      randomMatrix(6, 5 * 2, random),
      [2, 3, 4, 5],
      'paper',
    );
    expect(kernels.first.shape).toEqual([1, 3, 4, 6]);
    expect(kernels.second.shape).toEqual([2, 1, 6, 5]);
  });

  it('returns pointwise shapes', () => {
    const random = new SeededRandom(3);
    const kernels = convFactorsToKernels(
      randomMatrix(2 * 3 * 4, 6, random),
      randomMatrix(6, 5, random),
      [2, 3, 4, 5],
      'pointwise',
    );
    expect(kernels.first.shape).toEqual([2, 3, 4, 6]);
    expect(kernels.second.shape).toEqual([1, 1, 6, 5]);
  });

  it('round-trips through convKernelsToFactors', () => {
    fc.assert(
      fc.property(
        shapeArbitrary,
        schemeArbitrary,
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (shape, scheme, rank, seed) => {
          const random = new SeededRandom(seed);
          const [rows, columns] = convMatrixShape(shape, scheme);
          const left = randomMatrix(rows, rank, random);
          const right = randomMatrix(rank, columns, random);
          const factors = convKernelsToFactors(convFactorsToKernels(left, right, shape, scheme), scheme);
          expect(factors.left.data).toEqual(left.data);
          expect(factors.right.data).toEqual(right.data);
          expect(factors.right.shape).toEqual([rank, columns]);
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });

  it('rejects factors that do not chain', () => {
    expect(() =>
      convFactorsToKernels(new Matrix(12, 3, new Float64Array(36)), new Matrix(4, 10), [2, 3, 4, 5], 'paper'),
    ).toThrow(/must be 12×r and r×10, got left 12×3 and right 4×10/);
  });

  it('rejects factors of the other scheme', () => {
    expect(() => convFactorsToKernels(new Matrix(24, 3), new Matrix(3, 5), [2, 3, 4, 5], 'paper')).toThrow(
      ShapeMismatchError,
    );
  });
});

describe('convKernelsToFactors', () => {
  const kernel = (shape: Shape4): { kernel: Float64Array; shape: Shape4 } => ({
    kernel: new Float64Array(shape[0] * shape[1] * shape[2] * shape[3]),
    shape,
  });

  it('rejects a paper first kernel taller than 1', () => {
    expect(() =>
      convKernelsToFactors({ first: kernel([2, 3, 4, 6]), second: kernel([2, 1, 6, 5]) }, 'paper'),
    ).toThrow(
      /Kernels of the 'paper' scheme must have shapes \[1, kw, in, r\] then \[kh, 1, r, out\], got \[2, 3, 4, 6\] then \[2, 1, 6, 5\]/,
    );
  });

  it('rejects mismatched ranks', () => {
    expect(() =>
      convKernelsToFactors({ first: kernel([2, 3, 4, 6]), second: kernel([1, 1, 7, 5]) }, 'pointwise'),
    ).toThrow(ShapeMismatchError);
  });

  it('rejects a missing kernel', () => {
    expect(() => convKernelsToFactors({ first: kernel([1, 3, 4, 6]) } as never, 'paper')).toThrow(
      /Invalid kernels\.second: expected an object \{ kernel, shape \}, got undefined/,
    );
  });

  it('rejects a short kernel buffer', () => {
    expect(() =>
      convKernelsToFactors(
        { first: { kernel: new Float64Array(3), shape: [1, 3, 4, 6] }, second: kernel([2, 1, 6, 5]) },
        'paper',
      ),
    ).toThrow(/kernels\.first\.kernel has 3 values, but shape \[1, 3, 4, 6\] needs 72/);
  });

  it('accepts Float32Array kernels', () => {
    const factors = convKernelsToFactors(
      {
        first: { kernel: new Float32Array(72).fill(0.5), shape: [1, 3, 4, 6] },
        second: kernel([2, 1, 6, 5]),
      },
      'paper',
    );
    expect(factors.left.data.every((value) => value === 0.5)).toBe(true);
  });

  it('throws InvalidArgumentError for a null argument', () => {
    expect(() => convKernelsToFactors(null as never, 'paper')).toThrow(InvalidArgumentError);
  });
});

describe('factorized conv', () => {
  // Runs first conv then second conv and compares with one conv by the collapsed kernel U·V.
  function compare(
    shape: Shape4,
    rank: number,
    scheme: ConvScheme,
    seed: number,
    options: ConvOptions,
    imageSize: [number, number],
  ): number {
    const random = new SeededRandom(seed);
    const [rows, columns] = convMatrixShape(shape, scheme);
    const left = randomMatrix(rows, rank, random);
    const right = randomMatrix(rank, columns, random);
    const image: Image = {
      height: imageSize[0],
      width: imageSize[1],
      channels: shape[2],
      data: randomArray(imageSize[0] * imageSize[1] * shape[2], random),
    };

    const collapsed = convKernelFromMatrix(multiply(left, right), shape, scheme);
    const direct = conv2d(image, collapsed, shape, options);

    const { first, second } = convFactorsToKernels(left, right, shape, scheme);
    const [strideY, strideX] = options.strides ?? [1, 1];
    const [dilationY, dilationX] = options.dilations ?? [1, 1];
    const padding = options.padding ?? 'valid';
    const firstOptions: ConvOptions =
      scheme === 'paper' ? { strides: [1, strideX], dilations: [1, dilationX], padding } : options;
    const secondOptions: ConvOptions =
      scheme === 'paper' ? { strides: [strideY, 1], dilations: [dilationY, 1], padding } : {};
    const twoStep = conv2d(
      conv2d(image, first.kernel, first.shape, firstOptions),
      second.kernel,
      second.shape,
      secondOptions,
    );

    expect([twoStep.height, twoStep.width, twoStep.channels]).toEqual([
      direct.height,
      direct.width,
      direct.channels,
    ]);
    return maxDifference(twoStep.data, direct.data);
  }

  it.each<[ConvScheme]>([['paper'], ['pointwise']])('matches the collapsed kernel (%s)', (scheme) => {
    fc.assert(
      fc.property(
        shapeArbitrary,
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (shape, rank, seed, extraHeight, extraWidth) => {
          const imageSize: [number, number] = [shape[0] + extraHeight, shape[1] + extraWidth];
          expect(compare(shape, rank, scheme, seed, {}, imageSize)).toBeLessThan(CONV_TOLERANCE);
        },
      ),
      { numRuns: 100, seed: 5 },
    );
  });

  it.each<[ConvScheme, ConvOptions]>([
    ['paper', { strides: [2, 3], padding: 'valid' }],
    ['paper', { strides: [2, 2], padding: 'same' }],
    ['paper', { strides: [1, 2], dilations: [2, 1], padding: 'same' }],
    ['pointwise', { strides: [2, 3], padding: 'same' }],
    ['pointwise', { dilations: [2, 2], padding: 'valid' }],
  ])('splits %s strides, padding and dilation by axis', (scheme, options) => {
    expect(compare([3, 3, 4, 5], 3, scheme, 99, options, [9, 10])).toBeLessThan(CONV_TOLERANCE);
  });
});
