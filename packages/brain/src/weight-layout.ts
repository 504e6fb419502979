import { InvalidArgumentError, Matrix, ShapeMismatchError } from '@factorized/core';

/**
 * A 2-D value as brain.js layers hold it: `height` rows of `width` numbers, each row a
 * Float32Array or a plain array. A gpu.js texture (GPU backends) is read with `toArray()`.
 */
export type BrainRows = (Float32Array | Float64Array | number[])[];

interface TextureLike {
  toArray(): unknown;
}

function isTextureLike(value: unknown): value is TextureLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Partial<TextureLike>).toArray === 'function'
  );
}

/**
 * Returns the rows of a brain.js 2-D value, reading a gpu.js texture back to the CPU first.
 * Throws ShapeMismatchError naming `argument` unless it has `height` rows of `width` numbers.
 */
export function readBrainRows(argument: string, value: unknown, height: number, width: number): BrainRows {
  const rows = isTextureLike(value) ? value.toArray() : value;

  if (!Array.isArray(rows) || rows.length !== height) {
    throw new ShapeMismatchError(
      `${argument} must have ${height} rows of ${width} numbers, got ${describeRows(rows)}.`,
    );
  }

  for (const row of rows as unknown[]) {
    if (!isNumberRow(row) || row.length !== width) {
      throw new ShapeMismatchError(
        `${argument} must have ${height} rows of ${width} numbers, got a row of ${describeRows(row)}.`,
      );
    }
  }

  return rows as BrainRows;
}

function isNumberRow(row: unknown): row is ArrayLike<number> {
  return row instanceof Float32Array || row instanceof Float64Array || Array.isArray(row);
}

function describeRows(value: unknown): string {
  if (Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array) {
    return `${value.length} entries`;
  }
  return typeof value;
}

/**
 * Copies a brain.js 2-D value (height × width) into a float64 Matrix, transposed when
 * `transpose` is true, so the result is width × height.
 */
export function matrixFromBrainRows(
  argument: string,
  value: unknown,
  height: number,
  width: number,
  transpose: boolean,
): Matrix {
  const rows = readBrainRows(argument, value, height, width);
  const result = transpose ? new Matrix(width, height) : new Matrix(height, width);
  const data = result.data;

  for (let y = 0; y < height; y++) {
    const row = rows[y];
    for (let x = 0; x < width; x++) {
      const index = transpose ? x * height + y : y * width + x;
      data[index] = row[x];
    }
  }
  return result;
}

/**
 * Copies a Matrix into brain.js rows of float32, transposed when `transpose` is true, so a
 * rows × columns matrix becomes `columns` rows of `rows` numbers. Values are rounded to float32,
 * the precision brain.js stores weights in.
 */
export function brainRowsFromMatrix(matrix: Matrix, transpose: boolean): Float32Array[] {
  const height = transpose ? matrix.columns : matrix.rows;
  const width = transpose ? matrix.rows : matrix.columns;
  const data = matrix.data;
  const result: Float32Array[] = [];

  for (let y = 0; y < height; y++) {
    const row = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      row[x] = transpose ? data[x * matrix.columns + y] : data[y * matrix.columns + x];
    }
    result.push(row);
  }
  return result;
}

/**
 * Copies a bias vector into brain.js rows (one row of one number per output), the shape of a
 * brain.js bias layer. Throws InvalidArgumentError naming `argument` unless it has `size`
 * finite numbers.
 */
export function brainColumnFromVector(argument: string, values: ArrayLike<number>, size: number): Float32Array[] {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number' || values.length !== size) {
    throw new InvalidArgumentError(argument, values, `an array of ${size} finite numbers, one per output`);
  }

  const result: Float32Array[] = [];
  for (let i = 0; i < size; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidArgumentError(`${argument}[${i}]`, value, 'a finite number');
    }
    result.push(Float32Array.of(value));
  }
  return result;
}
