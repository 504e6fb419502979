import { checkFinite, checkPlainObject } from './argument-checks.js';
import { InvalidArgumentError, ShapeMismatchError } from './errors.js';
import { Matrix } from './matrix.js';
import { multiplyRowsInto } from './matmul-kernel.js';

/** Transpose flags of {@link matMul}. */
export interface MatMulOptions {
  /** Use aᵀ in place of a. Default false. */
  transposeA?: boolean;
  /** Use bᵀ in place of b. Default false. */
  transposeB?: boolean;
}

/**
 * Multiplies op(a)·op(b), where op(x) is xᵀ when `transposeA` or `transposeB` is set.
 *
 * The work is O(m·n·k) for an m×k by k×n product, in cache-blocked loops over 4×4 tiles of
 * the result. The kernel reads both operands along rows, so a·bᵀ (`transposeB` alone) runs on
 * the inputs as they are. Every other combination first copies each operand that would be
 * read along columns into its transpose, which costs O(size of that operand) time and memory.
 * Throws ShapeMismatchError naming both shapes when the inner dimensions differ.
 */
export function matMul(a: Matrix, b: Matrix, options: MatMulOptions = {}): Matrix {
  checkMatrix('a', a);
  checkMatrix('b', b);
  checkPlainObject('options', options);
  const transposeA = optionalBoolean('options.transposeA', options.transposeA);
  const transposeB = optionalBoolean('options.transposeB', options.transposeB);

  const rows = transposeA ? a.columns : a.rows;
  const depth = transposeA ? a.rows : a.columns;
  const depthOfB = transposeB ? b.columns : b.rows;
  const columns = transposeB ? b.rows : b.columns;

  if (depth !== depthOfB) {
    throw new ShapeMismatchError(
      `matMul cannot multiply a (${describeOperand(a, transposeA)}) by b (${describeOperand(b, transposeB)}): ` +
        `the inner dimensions ${depth} and ${depthOfB} differ.`,
    );
  }

  // The kernel computes X·Yᵀ with X (rows × depth) and Y (columns × depth) both row-major.
  const left = transposeA ? a.transpose() : a;
  const right = transposeB ? b : b.transpose();
  const result = new Matrix(rows, columns);
  multiplyRowsInto(left.data, right.data, result.data, rows, columns, depth, false);
  return result;
}

/**
 * Computes the Gram matrix aᵀa (n×n) for `side` 'columns' or a·aᵀ (m×m) for 'rows', the inner
 * products of a's columns or rows. The result is exactly symmetric, and only one triangle is
 * computed, so it costs about half of the equivalent {@link matMul}.
 */
export function gram(a: Matrix, side: 'columns' | 'rows'): Matrix {
  checkMatrix('a', a);
  if (side !== 'columns' && side !== 'rows') {
    throw new InvalidArgumentError('side', side, "'columns' (aᵀa) or 'rows' (a·aᵀ)");
  }

  const vectors = side === 'rows' ? a : a.transpose();
  const size = vectors.rows;
  const result = new Matrix(size, size);
  multiplyRowsInto(vectors.data, vectors.data, result.data, size, size, vectors.columns, true);

  const data = result.data;
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      data[j * size + i] = data[i * size + j];
    }
  }
  return result;
}

/** Returns factor·a as a new matrix. Throws InvalidArgumentError unless `factor` is finite. */
export function scale(a: Matrix, factor: number): Matrix {
  checkMatrix('a', a);
  checkFinite('factor', factor);

  const result = new Matrix(a.rows, a.columns);
  const source = a.data;
  const target = result.data;
  for (let index = 0; index < source.length; index++) {
    target[index] = factor * source[index];
  }
  return result;
}

/** Returns a + b. Throws ShapeMismatchError naming both shapes unless they are equal. */
export function add(a: Matrix, b: Matrix): Matrix {
  const result = newResultOfSameShape('add', a, b);
  const left = a.data;
  const right = b.data;
  const target = result.data;
  for (let index = 0; index < target.length; index++) {
    target[index] = left[index] + right[index];
  }
  return result;
}

/** Returns a − b. Throws ShapeMismatchError naming both shapes unless they are equal. */
export function subtract(a: Matrix, b: Matrix): Matrix {
  const result = newResultOfSameShape('subtract', a, b);
  const left = a.data;
  const right = b.data;
  const target = result.data;
  for (let index = 0; index < target.length; index++) {
    target[index] = left[index] - right[index];
  }
  return result;
}

/**
 * Returns the elementwise (Hadamard) product a ⊙ b. Throws ShapeMismatchError naming both
 * shapes unless they are equal.
 */
export function hadamard(a: Matrix, b: Matrix): Matrix {
  const result = newResultOfSameShape('hadamard', a, b);
  const left = a.data;
  const right = b.data;
  const target = result.data;
  for (let index = 0; index < target.length; index++) {
    target[index] = left[index] * right[index];
  }
  return result;
}

/**
 * Returns the sum of all entries (0 for an empty matrix). Neumaier's compensated summation
 * keeps the error near one rounding of the exact sum, not the n·ε·Σ|aᵢⱼ| of a plain loop, so
 * sums that cancel, such as a penalty built from Gram matrices, stay accurate.
 */
export function sumAll(a: Matrix): number {
  checkMatrix('a', a);

  const data = a.data;
  let sum = 0;
  let compensation = 0;
  for (let index = 0; index < data.length; index++) {
    const value = data[index];
    const next = sum + value;
    if (Math.abs(sum) >= Math.abs(value)) {
      compensation += sum - next + value;
    } else {
      compensation += value - next + sum;
    }
    sum = next;
  }
  return sum + compensation;
}

/**
 * Returns the Frobenius norm (Σ aᵢⱼ²)^½, 0 for an empty matrix. Entries are divided by the
 * largest magnitude before squaring. The result is therefore finite whenever the norm is
 * representable, with a relative error below about (size/2 + 2)·ε, even for entries near
 * 1e+300 or 1e-300, where a plain sum of squares overflows to Infinity or underflows to 0.
 * NaN entries give NaN.
 */
export function frobeniusNorm(a: Matrix): number {
  checkMatrix('a', a);

  const data = a.data;
  let largest = 0;
  for (let index = 0; index < data.length; index++) {
    const magnitude = Math.abs(data[index]);
    if (magnitude > largest || Number.isNaN(magnitude)) {
      largest = magnitude;
    }
  }
  if (largest === 0 || !Number.isFinite(largest)) {
    return largest;
  }

  // NOTE: 1/largest overflows for subnormal largest values, which need the slower division.
  const inverse = 1 / largest;
  let sumOfSquares = 0;
  if (Number.isFinite(inverse)) {
    for (let index = 0; index < data.length; index++) {
      const ratio = data[index] * inverse;
      sumOfSquares += ratio * ratio;
    }
  } else {
    for (let index = 0; index < data.length; index++) {
      const ratio = data[index] / largest;
      sumOfSquares += ratio * ratio;
    }
  }
  return largest * Math.sqrt(sumOfSquares);
}

/** Checks that a and b are matrices of one shape and allocates the result. */
function newResultOfSameShape(operation: string, a: Matrix, b: Matrix): Matrix {
  checkMatrix('a', a);
  checkMatrix('b', b);
  if (a.rows !== b.rows || a.columns !== b.columns) {
    throw new ShapeMismatchError(
      `${operation} needs matrices of equal shape, got a (${a.rows}×${a.columns}) and b (${b.rows}×${b.columns}).`,
    );
  }
  return new Matrix(a.rows, a.columns);
}

function checkMatrix(argument: string, value: unknown): asserts value is Matrix {
  if (!(value instanceof Matrix)) {
    throw new InvalidArgumentError(argument, value, 'a Matrix');
  }
}

function optionalBoolean(argument: string, value: unknown): boolean {
  if (value === undefined) {
    return false;
  }
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(argument, value, 'true, false or undefined');
  }
  return value;
}

function describeOperand(matrix: Matrix, transposed: boolean): string {
  const shape = `${matrix.rows}×${matrix.columns}`;
  return transposed ? `${shape}, transposed to ${matrix.columns}×${matrix.rows}` : shape;
}
