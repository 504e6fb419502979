import { checkConvKernelShape } from './argument-checks.js';
import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from './errors.js';
import type { ConvKernelShape } from './fans.js';
import { Matrix, validateMatrix } from './matrix.js';

/**
 * Matricization of a conv kernel [kh, kw, in, out], the matrix that is factorized. In both schemes
 * the rows are the input side, as for dense layers (W is [in, out], U is [in, r]), so the left
 * factor U drives the first conv and the right factor V the second.
 *
 * - 'paper': the (in·kw) × (out·kh) matrix with M[x·in + i, y·out + o] = W[y, x, i, o]. U·V runs
 *   as a 1×kw conv from `in` to r channels, then a kh×1 conv from r to `out`. This is the
 *   transpose of the (out·kh) × (in·kw) matricization of microsoft/fnl_paper up to row and column
 *   permutations, so its singular values, ranks and spectral initialization are the same.
 * - 'pointwise': the (kh·kw·in) × out matrix, the kernel's own row-major buffer. U·V runs as a
 *   kh×kw conv from `in` to r channels, then a 1×1 conv from r to `out`.
 */
export type ConvScheme = 'paper' | 'pointwise';

/** A conv kernel: its values, row-major over `shape` = [kh, kw, in, out] (TensorFlow.js order). */
export interface ConvKernel {
  kernel: Float64Array;
  shape: [number, number, number, number];
}

/**
 * The two convs a factorized conv runs, first on the input, then on the first one's output.
 *
 * With valid or same padding, strides and dilations, running them equals the conv with the
 * collapsed kernel when the original conv's settings are split by axis. For 'paper' the first
 * conv takes the width stride, dilation and padding (stride 1 along height) and the second the
 * height ones (stride 1 along width). For 'pointwise' the first conv takes all of them and the
 * second is a plain 1×1 conv.
 */
export interface ConvFactorKernels {
  first: ConvKernel;
  second: ConvKernel;
}

/** Returns [rows, columns] of the matrix `scheme` makes from a kernel of `shape`. */
export function convMatrixShape(shape: ConvKernelShape, scheme: ConvScheme): [number, number] {
  checkConvKernelShape('shape', shape);
  checkScheme(scheme);
  const [kernelHeight, kernelWidth, inChannels, outChannels] = shape;
  return scheme === 'paper'
    ? [inChannels * kernelWidth, outChannels * kernelHeight]
    : [kernelHeight * kernelWidth * inChannels, outChannels];
}

/**
 * Copies a kernel (row-major over `shape` = [kh, kw, in, out]) into the matrix of `scheme`:
 * (in·kw) × (out·kh) for 'paper', (kh·kw·in) × out for 'pointwise'. Throws ShapeMismatchError
 * when the length is not kh·kw·in·out, NonFiniteValueError for NaN or ±Infinity entries.
 */
export function matricizeConvKernel(
  kernel: Float64Array | Float32Array,
  shape: ConvKernelShape,
  scheme: ConvScheme,
): Matrix {
  const [rows, columns] = convMatrixShape(shape, scheme);
  checkKernelValues('kernel', kernel, shape);

  if (scheme === 'pointwise') {
    return new Matrix(rows, columns, Float64Array.from(kernel));
  }

  const [kernelHeight, kernelWidth, inChannels, outChannels] = shape;
  const result = new Matrix(rows, columns);
  forEachPaperIndex(kernelHeight, kernelWidth, inChannels, outChannels, (kernelIndex, matrixIndex) => {
    result.data[matrixIndex] = kernel[kernelIndex];
  });
  return result;
}

/**
 * Inverse of matricizeConvKernel: turns the matrix of `scheme` back into a kernel, row-major over
 * `shape`. Throws ShapeMismatchError when the matrix is not convMatrixShape(shape, scheme).
 */
export function convKernelFromMatrix(
  matrix: Matrix,
  shape: ConvKernelShape,
  scheme: ConvScheme,
): Float64Array {
  const [rows, columns] = convMatrixShape(shape, scheme);
  validateMatrix('matrix', matrix);
  if (matrix.rows !== rows || matrix.columns !== columns) {
    throw new ShapeMismatchError(
      `A kernel of shape [${shape.join(', ')}] needs a ${rows}×${columns} matrix in the '${scheme}' ` +
        `scheme, got ${matrix.rows}×${matrix.columns}.`,
    );
  }

  if (scheme === 'pointwise') {
    return matrix.data.slice();
  }

  const [kernelHeight, kernelWidth, inChannels, outChannels] = shape;
  const kernel = new Float64Array(rows * columns);
  forEachPaperIndex(kernelHeight, kernelWidth, inChannels, outChannels, (kernelIndex, matrixIndex) => {
    kernel[kernelIndex] = matrix.data[matrixIndex];
  });
  return kernel;
}

/**
 * Turns the factors of the matrix of a kernel of `shape` into the kernels of the two convs
 * that compute it: `left` is U (rows × r), `right` is V (r × columns). For U·M·V pass U·M as
 * `left` (or M·V as `right`).
 *
 * - 'paper': first [1, kw, in, r] with first[0, x, i, s] = U[x·in + i, s] (U's own buffer);
 *   second [kh, 1, r, out] with second[y, 0, s, o] = V[s, y·out + o].
 * - 'pointwise': first [kh, kw, in, r] (U's buffer); second [1, 1, r, out] (V's buffer).
 *
 * Throws ShapeMismatchError when the factors do not chain or do not match convMatrixShape.
 */
export function convFactorsToKernels(
  left: Matrix,
  right: Matrix,
  shape: ConvKernelShape,
  scheme: ConvScheme,
): ConvFactorKernels {
  const [rows, columns] = convMatrixShape(shape, scheme);
  validateMatrix('left', left);
  validateMatrix('right', right);
  if (left.columns !== right.rows || left.rows !== rows || right.columns !== columns) {
    throw new ShapeMismatchError(
      `Factors of a [${shape.join(', ')}] kernel in the '${scheme}' scheme must be ${rows}×r and ` +
        `r×${columns}, got left ${left.rows}×${left.columns} and right ${right.rows}×${right.columns}.`,
    );
  }

  const [kernelHeight, kernelWidth, inChannels, outChannels] = shape;
  const rank = left.columns;

  if (scheme === 'pointwise') {
    return {
      first: { kernel: left.data.slice(), shape: [kernelHeight, kernelWidth, inChannels, rank] },
      second: { kernel: right.data.slice(), shape: [1, 1, rank, outChannels] },
    };
  }

  const second = new Float64Array(kernelHeight * rank * outChannels);
  for (let y = 0; y < kernelHeight; y++) {
    for (let s = 0; s < rank; s++) {
      for (let o = 0; o < outChannels; o++) {
        second[(y * rank + s) * outChannels + o] = right.data[s * columns + y * outChannels + o];
      }
    }
  }
  return {
    first: { kernel: left.data.slice(), shape: [1, kernelWidth, inChannels, rank] },
    second: { kernel: second, shape: [kernelHeight, 1, rank, outChannels] },
  };
}

/**
 * Inverse of convFactorsToKernels: recovers U (left) and V (right) from the two kernels.
 * Throws ShapeMismatchError when the kernel shapes do not fit `scheme` ('paper': [1, kw, in, r]
 * then [kh, 1, r, out]; 'pointwise': [kh, kw, in, r] then [1, 1, r, out]) or do not chain.
 */
export function convKernelsToFactors(
  kernels: {
    first: { kernel: Float64Array | Float32Array; shape: ConvKernelShape };
    second: { kernel: Float64Array | Float32Array; shape: ConvKernelShape };
  },
  scheme: ConvScheme,
): { left: Matrix; right: Matrix } {
  checkScheme(scheme);
  if (typeof kernels !== 'object' || kernels === null) {
    throw new InvalidArgumentError('kernels', kernels, 'an object { first, second }');
  }
  const { first, second } = kernels;
  checkConvKernel('kernels.first', first);
  checkConvKernel('kernels.second', second);

  const [firstHeight, kernelWidth, inChannels, rank] = first.shape;
  const [kernelHeight, secondWidth, secondInChannels, outChannels] = second.shape;
  const paper = scheme === 'paper';
  // 'paper': the first kernel is 1×kw, the second kh×1. 'pointwise': the second kernel is 1×1.
  const fits = paper ? firstHeight === 1 && secondWidth === 1 : kernelHeight === 1 && secondWidth === 1;
  if (!fits || secondInChannels !== rank) {
    const expected = paper ? '[1, kw, in, r] then [kh, 1, r, out]' : '[kh, kw, in, r] then [1, 1, r, out]';
    throw new ShapeMismatchError(
      `Kernels of the '${scheme}' scheme must have shapes ${expected}, got ` +
        `[${first.shape.join(', ')}] then [${second.shape.join(', ')}].`,
    );
  }

  if (!paper) {
    return {
      left: new Matrix(firstHeight * kernelWidth * inChannels, rank, Float64Array.from(first.kernel)),
      right: new Matrix(rank, outChannels, Float64Array.from(second.kernel)),
    };
  }

  const columns = outChannels * kernelHeight;
  const right = new Matrix(rank, columns);
  for (let y = 0; y < kernelHeight; y++) {
    for (let s = 0; s < rank; s++) {
      for (let o = 0; o < outChannels; o++) {
        right.data[s * columns + y * outChannels + o] = second.kernel[(y * rank + s) * outChannels + o];
      }
    }
  }
  return { left: new Matrix(kernelWidth * inChannels, rank, Float64Array.from(first.kernel)), right };
}

/** Visits every entry of a [kh, kw, in, out] kernel with its flat index and its 'paper' matrix index. */
function forEachPaperIndex(
  kernelHeight: number,
  kernelWidth: number,
  inChannels: number,
  outChannels: number,
  visit: (kernelIndex: number, matrixIndex: number) => void,
): void {
  const columns = outChannels * kernelHeight;
  let kernelIndex = 0;
  for (let y = 0; y < kernelHeight; y++) {
    for (let x = 0; x < kernelWidth; x++) {
      for (let i = 0; i < inChannels; i++) {
        const rowOffset = (x * inChannels + i) * columns + y * outChannels;
        for (let o = 0; o < outChannels; o++) {
          visit(kernelIndex, rowOffset + o);
          kernelIndex++;
        }
      }
    }
  }
}

function checkScheme(scheme: unknown): asserts scheme is ConvScheme {
  if (scheme !== 'paper' && scheme !== 'pointwise') {
    throw new InvalidArgumentError('scheme', scheme, "'paper' or 'pointwise'");
  }
}

function checkKernelValues(argument: string, kernel: unknown, shape: ConvKernelShape): void {
  if (!(kernel instanceof Float64Array) && !(kernel instanceof Float32Array)) {
    throw new InvalidArgumentError(argument, kernel, 'a Float64Array or Float32Array');
  }
  const length = shape[0] * shape[1] * shape[2] * shape[3];
  if (kernel.length !== length) {
    throw new ShapeMismatchError(
      `${argument} has ${kernel.length} values, but shape [${shape.join(', ')}] needs ${length}.`,
    );
  }
  const bad = kernel.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new NonFiniteValueError(
      `${argument} contains ${kernel[bad]} at flat index ${bad}; every entry must be finite.`,
    );
  }
}

function checkConvKernel(
  argument: string,
  value: unknown,
): asserts value is { kernel: Float64Array | Float32Array; shape: ConvKernelShape } {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(argument, value, 'an object { kernel, shape }');
  }
  const { kernel, shape } = value as { kernel?: unknown; shape?: unknown };
  checkConvKernelShape(`${argument}.shape`, shape);
  checkKernelValues(`${argument}.kernel`, kernel, shape);
}
