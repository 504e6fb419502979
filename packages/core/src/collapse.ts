import type { ConvScheme } from './conv-layout.js';
import { convKernelFromMatrix } from './conv-layout.js';
import { InvalidArgumentError, ShapeMismatchError } from './errors.js';
import type { ConvKernelShape } from './fans.js';
import { Matrix, validateMatrix } from './matrix.js';
import { matMul } from './matrix-ops.js';

/**
 * The two factors of a layer whose weight W (inputSize × outputSize, TensorFlow.js order) is
 * trained as the product U·V.
 */
export interface FactorPair {
  /** U, inputSize × rank. */
  left: Matrix;
  /** V, rank × outputSize. */
  right: Matrix;
}

/** The three factors of a layer whose weight is trained as the product U·M·V. */
export interface FactorTriple extends FactorPair {
  /** M, rank × rank for the layers this library builds; any shape that chains is accepted. */
  middle: Matrix;
}

/** Either factorization of a layer's weight. */
export type Factors = FactorPair | FactorTriple;

/**
 * Throws unless `factors` is a factor pair or triple of finite, non-empty matrices whose
 * product U·V or U·M·V is defined. A missing factor or one that is not a Matrix throws
 * InvalidArgumentError, NaN or ±Infinity entries throw NonFiniteValueError, and inner
 * dimensions that differ throw ShapeMismatchError naming every shape. Errors name the factor
 * as `${argument}.left` and so on.
 */
export function validateFactors(factors: Factors, argument = 'factors'): void {
  if (typeof factors !== 'object' || factors === null) {
    throw new InvalidArgumentError(argument, factors, 'an object with Matrix fields left and right');
  }

  const { left, right } = factors;
  const middle = 'middle' in factors ? factors.middle : undefined;
  validateFactor(`${argument}.left`, left);
  validateFactor(`${argument}.right`, right);

  if (middle === undefined) {
    if (left.columns !== right.rows) {
      throw new ShapeMismatchError(
        `Cannot multiply the factors in ${argument}: left is ${shapeOf(left)} and right is ${shapeOf(right)}, ` +
          'so left.columns must equal right.rows.',
      );
    }
    return;
  }

  validateFactor(`${argument}.middle`, middle);
  if (left.columns !== middle.rows || middle.columns !== right.rows) {
    throw new ShapeMismatchError(
      `Cannot multiply the factors in ${argument}: left is ${shapeOf(left)}, middle is ${shapeOf(middle)} and ` +
        `right is ${shapeOf(right)}, so left.columns must equal middle.rows and middle.columns must equal right.rows.`,
    );
  }
}

function validateFactor(argument: string, factor: unknown): asserts factor is Matrix {
  if (!(factor instanceof Matrix)) {
    throw new InvalidArgumentError(argument, factor, 'a Matrix');
  }
  validateMatrix(argument, factor);
}

function shapeOf(matrix: Matrix): string {
  return `${matrix.rows}×${matrix.columns}`;
}

/**
 * Multiplies the factors back into one inputSize × outputSize weight, U·V or U·M·V, so a
 * trained factorized layer can be replaced by a dense one of the same function.
 *
 * For three factors the cheaper association, (U·M)·V or U·(M·V), is chosen by its
 * multiply count. Throws as `validateFactors` does.
 */
export function collapse(factors: Factors): Matrix {
  validateFactors(factors);
  const { left, right } = factors;
  const middle = 'middle' in factors ? factors.middle : undefined;

  if (middle === undefined) {
    return matMul(left, right);
  }

  const leftFirstCost = left.rows * left.columns * middle.columns + left.rows * middle.columns * right.columns;
  const rightFirstCost = middle.rows * middle.columns * right.columns + left.rows * left.columns * right.columns;
  return leftFirstCost <= rightFirstCost ? matMul(matMul(left, middle), right) : matMul(left, matMul(middle, right));
}

/**
 * Multiplies the factors of a factorized convolution back into one kernel of `shape`
 * ([kh, kw, in, out], TensorFlow.js order, row-major), using the matricization of `scheme`
 * that the factors were made from. Throws ShapeMismatchError unless the product has the shape
 * convMatrixShape(shape, scheme), and throws as `validateFactors` does.
 */
export function collapseConv(factors: Factors, shape: ConvKernelShape, scheme: ConvScheme): Float64Array {
  return convKernelFromMatrix(collapse(factors), shape, scheme);
}
