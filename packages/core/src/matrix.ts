import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from './errors.js';

/**
 * A dense row-major matrix of float64 values. Entry (i, j) is `data[i * columns + j]`.
 *
 * The type is deliberately small: it is the exchange format between core's algorithms and the
 * adapters, which copy framework tensors into it and back. Heavy dense factorizations (full
 * SVD, QR, symmetric eigendecomposition) go through ml-matrix.
 */
export class Matrix {
  readonly rows: number;
  readonly columns: number;
  readonly data: Float64Array;

  /**
   * Wraps `data` (not copied) as a `rows` × `columns` matrix. Throws InvalidArgumentError
   * for non-integer or negative sizes and ShapeMismatchError when the length differs from
   * rows · columns.
   */
  constructor(rows: number, columns: number, data?: Float64Array) {
    validateSize('rows', rows);
    validateSize('columns', columns);
    const length = rows * columns;

    if (data !== undefined && data.length !== length) {
      throw new ShapeMismatchError(
        `Matrix data has ${data.length} values, but a ${rows}×${columns} matrix needs ${length}.`,
      );
    }

    this.rows = rows;
    this.columns = columns;
    this.data = data ?? new Float64Array(length);
  }

  /** Creates a matrix of zeros. */
  static zeros(rows: number, columns: number): Matrix {
    return new Matrix(rows, columns);
  }

  /** Creates the n × n identity matrix. */
  static identity(size: number): Matrix {
    const result = new Matrix(size, size);
    for (let i = 0; i < size; i++) {
      result.data[i * size + i] = 1;
    }
    return result;
  }

  /**
   * Creates a matrix from nested arrays, one inner array per row. Throws ShapeMismatchError
   * when rows differ in length.
   */
  static fromRows(rows: readonly (readonly number[])[]): Matrix {
    const rowCount = rows.length;
    const columnCount = rowCount === 0 ? 0 : rows[0].length;
    const result = new Matrix(rowCount, columnCount);

    rows.forEach((row, i) => {
      if (row.length !== columnCount) {
        throw new ShapeMismatchError(
          `Matrix rows differ in length: row 0 has ${columnCount} values, row ${i} has ${row.length}.`,
        );
      }
      for (let j = 0; j < columnCount; j++) {
        result.data[i * columnCount + j] = row[j];
      }
    });

    return result;
  }

  /** Copies any array-like of numbers (a Float32Array from a framework, say) into a new matrix. */
  static from(rows: number, columns: number, values: ArrayLike<number>): Matrix {
    if (values.length !== rows * columns) {
      throw new ShapeMismatchError(
        `Matrix data has ${values.length} values, but a ${rows}×${columns} matrix needs ${rows * columns}.`,
      );
    }
    return new Matrix(rows, columns, Float64Array.from(values));
  }

  get shape(): [number, number] {
    return [this.rows, this.columns];
  }

  get(row: number, column: number): number {
    return this.data[row * this.columns + column];
  }

  set(row: number, column: number, value: number): void {
    this.data[row * this.columns + column] = value;
  }

  clone(): Matrix {
    return new Matrix(this.rows, this.columns, this.data.slice());
  }

  /** Returns the transpose as a new matrix. */
  transpose(): Matrix {
    const result = new Matrix(this.columns, this.rows);
    const source = this.data;
    const target = result.data;
    for (let i = 0; i < this.rows; i++) {
      const rowOffset = i * this.columns;
      for (let j = 0; j < this.columns; j++) {
        target[j * this.rows + i] = source[rowOffset + j];
      }
    }
    return result;
  }

  /** Returns the rows as nested arrays. */
  toRows(): number[][] {
    const result: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      result.push(Array.from(this.data.subarray(i * this.columns, (i + 1) * this.columns)));
    }
    return result;
  }

  /** Copies the values into a Float32Array, the usual storage of framework tensors. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.data);
  }
}

function validateSize(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a non-negative integer');
  }
}

/**
 * Throws NonFiniteValueError naming `argument` and the first offending entry when the matrix
 * contains NaN or ±Infinity, and InvalidArgumentError when it is empty and `allowEmpty` is false.
 */
export function validateMatrix(argument: string, matrix: Matrix, allowEmpty = false): void {
  if (!allowEmpty && (matrix.rows === 0 || matrix.columns === 0)) {
    throw new InvalidArgumentError(argument, `${matrix.rows}×${matrix.columns} matrix`, 'a non-empty matrix');
  }

  const data = matrix.data;
  for (let index = 0; index < data.length; index++) {
    if (!Number.isFinite(data[index])) {
      const row = Math.floor(index / matrix.columns);
      const column = index % matrix.columns;
      throw new NonFiniteValueError(
        `${argument} contains ${data[index]} at row ${row}, column ${column}; every entry must be finite.`,
      );
    }
  }
}
