import { InvalidArgumentError, NonFiniteValueError, ShapeMismatchError } from '../src/errors.js';
import { Matrix, validateMatrix } from '../src/matrix.js';

describe('Matrix', () => {
  it('wraps data without copying', () => {
    const data = Float64Array.of(1, 2, 3, 4, 5, 6);
    const matrix = new Matrix(2, 3, data);
    expect(matrix.data).toBe(data);
    expect(matrix.get(1, 0)).toBe(4);
  });

  it('allocates zeros without data', () => {
    expect(new Matrix(2, 2).toRows()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it.each([
    ['rows', -1, 2],
    ['rows', 1.5, 2],
    ['columns', 2, Number.NaN],
  ])('rejects invalid %s', (argument, rows, columns) => {
    expect(() => new Matrix(rows, columns)).toThrow(InvalidArgumentError);
    expect(() => new Matrix(rows, columns)).toThrow(`Invalid ${argument}: expected a non-negative integer`);
  });

  it('rejects data of the wrong length', () => {
    expect(() => new Matrix(2, 2, new Float64Array(3))).toThrow(ShapeMismatchError);
    expect(() => new Matrix(2, 2, new Float64Array(3))).toThrow('Matrix data has 3 values, but a 2×2 matrix needs 4.');
  });

  it('builds an identity', () => {
    expect(Matrix.identity(3).toRows()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('builds zeros', () => {
    expect(Matrix.zeros(1, 3).toRows()).toEqual([[0, 0, 0]]);
  });

  it('round-trips nested rows', () => {
    const rows = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    expect(Matrix.fromRows(rows).toRows()).toEqual(rows);
  });

  it('builds an empty matrix from no rows', () => {
    expect(Matrix.fromRows([]).shape).toEqual([0, 0]);
  });

  it('rejects ragged rows', () => {
    expect(() => Matrix.fromRows([[1, 2], [3]])).toThrow(ShapeMismatchError);
    expect(() => Matrix.fromRows([[1, 2], [3]])).toThrow('row 0 has 2 values, row 1 has 1');
  });

  it('copies from any array-like', () => {
    const source = Float32Array.of(1.5, 2.5);
    const matrix = Matrix.from(1, 2, source);
    source[0] = 9;
    expect(matrix.toRows()).toEqual([[1.5, 2.5]]);
  });

  it('rejects a copy of the wrong length', () => {
    expect(() => Matrix.from(2, 2, [1, 2, 3])).toThrow(ShapeMismatchError);
  });

  it('reports its shape', () => {
    expect(new Matrix(4, 7).shape).toEqual([4, 7]);
  });

  it('sets and gets entries', () => {
    const matrix = Matrix.zeros(2, 3);
    matrix.set(1, 2, 7);
    expect(matrix.get(1, 2)).toBe(7);
    expect(matrix.data[5]).toBe(7);
  });

  it('clones independently', () => {
    const matrix = Matrix.fromRows([[1, 2]]);
    const copy = matrix.clone();
    copy.set(0, 0, 5);
    expect(matrix.get(0, 0)).toBe(1);
  });

  it('transposes', () => {
    expect(
      Matrix.fromRows([
        [1, 2, 3],
        [4, 5, 6],
      ])
        .transpose()
        .toRows(),
    ).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('converts to float32', () => {
    const values = Matrix.fromRows([[0.1, 2]]).toFloat32Array();
    expect(values).toBeInstanceOf(Float32Array);
    expect(Array.from(values)).toEqual([Math.fround(0.1), 2]);
  });
});

describe('validateMatrix', () => {
  it('accepts a finite matrix', () => {
    expect(() => validateMatrix('weight', Matrix.identity(2))).not.toThrow();
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects entry %p', (value) => {
    const matrix = Matrix.zeros(2, 3);
    matrix.set(1, 2, value);
    expect(() => validateMatrix('weight', matrix)).toThrow(NonFiniteValueError);
    expect(() => validateMatrix('weight', matrix)).toThrow(`weight contains ${value} at row 1, column 2`);
  });

  it('rejects an empty matrix by default', () => {
    expect(() => validateMatrix('weight', Matrix.zeros(0, 2))).toThrow(InvalidArgumentError);
    expect(() => validateMatrix('weight', Matrix.zeros(0, 2))).toThrow('Invalid weight: expected a non-empty matrix');
  });

  it('accepts an empty matrix when allowed', () => {
    expect(() => validateMatrix('weight', Matrix.zeros(3, 0), true)).not.toThrow();
  });
});
