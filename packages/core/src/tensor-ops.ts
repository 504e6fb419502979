import { Matrix } from './matrix.js';
import { add, hadamard, matMul, scale, sumAll } from './matrix-ops.js';

/**
 * The five operations that the regularizer formulas of this library are written in, so one
 * formula serves every framework. An adapter implements them with its own tensors, tfjs ops for
 * example, so the framework's autodiff can differentiate the formula. `matrixOps` implements
 * them on float64 matrices.
 *
 * Every operation returns a new value and leaves its arguments unchanged.
 */
export interface TensorOps<T> {
  /** Matrix product op(a)·op(b), where op(x) is xᵀ when the matching flag is set. */
  matMul(a: T, b: T, transposeA: boolean, transposeB: boolean): T;
  /** Elementwise sum of two tensors of equal shape. */
  add(a: T, b: T): T;
  /** Elementwise (Hadamard) product of two tensors of equal shape. */
  mul(a: T, b: T): T;
  /** Sum of all entries, as a scalar of the tensor type. */
  sum(a: T): T;
  /** Every entry multiplied by `factor`. */
  scale(a: T, factor: number): T;
}

/** TensorOps on float64 matrices. Scalars are 1×1 matrices. */
export const matrixOps: TensorOps<Matrix> = {
  matMul: (a, b, transposeA, transposeB) => matMul(a, b, { transposeA, transposeB }),
  add: (a, b) => add(a, b),
  mul: (a, b) => hadamard(a, b),
  sum: (a) => new Matrix(1, 1, Float64Array.of(sumAll(a))),
  scale: (a, factor) => scale(a, factor),
};
