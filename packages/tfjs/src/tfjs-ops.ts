import * as tf from '@tensorflow/tfjs';
import type { TensorOps } from '@factorized/core';

/**
 * Multiplies op(a)·op(b), where op transposes the last two axes of its argument when the
 * matching flag is set. Any rank that tf.matMul accepts works.
 *
 * On the wasm backend no transpose flag reaches tf.matMul. tfjs 4.22's wasm matMul runs
 * XNNPACK only without flags. With a flag it falls back to a naive loop, 50 to 70 times slower
 * for xᵀ·dy with x and dy 128×1024 (645 ms against 9.5 ms; Node 20, one thread). The transposes
 * run as separate ops instead, and for matrices (rank 2) this function picks the cheaper of two
 * equal forms, op(a)·op(b) and (op(b)ᵀ·op(a)ᵀ)ᵀ, by counting the elements that transposes and
 * XNNPACK's packing of the right operand copy (see `prefersSwappedProduct`). Other backends get
 * the flags: on cpu both forms took the same time, and webgl was not measured.
 */
export function matMulTransposed(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (tf.getBackend() !== 'wasm') {
    return tf.matMul(a, b, transposeA, transposeB);
  }

  // tidy frees the transposed copies, so callers outside a tidy scope leak nothing.
  return tf.tidy(() => {
    if (a.rank === 2 && b.rank === 2 && prefersSwappedProduct(a.shape, b.shape, transposeA, transposeB)) {
      const leftOfSwapped = transposeB ? b : transposeMatrix(b);
      const rightOfSwapped = transposeA ? a : transposeMatrix(a);
      return transposeMatrix(tf.matMul(leftOfSwapped, rightOfSwapped));
    }

    return tf.matMul(transposeA ? transposeLastAxes(a) : a, transposeB ? transposeLastAxes(b) : b);
  });
}

/**
 * Decides whether (op(b)ᵀ·op(a)ᵀ)ᵀ copies fewer elements than op(a)·op(b) on the wasm backend,
 * for op(a) M×K and op(b) K×N.
 *
 * The direct form transposes each flagged operand, and XNNPACK packs its right operand (K×N)
 * before multiplying. The swapped form transposes each unflagged operand, packs op(a)ᵀ (K×M)
 * and transposes the M×N result. The multiplications are the same. For the four gradient
 * products of a factorized 1024→1024 layer with a batch of 128 at ranks 32, 128 and 256, the
 * count picked the faster form or one within 0.11 ms of it (Node 20, one thread). The largest
 * gain is dx = dh·Uᵀ at rank 256: 3.4 ms swapped against 5.2 ms direct.
 */
function prefersSwappedProduct(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): boolean {
  const [aRows, aColumns] = aShape;
  const [bRows, bColumns] = bShape;
  const aSize = aRows * aColumns;
  const bSize = bRows * bColumns;
  const outer = transposeA ? aColumns : aRows;
  const inner = transposeA ? aRows : aColumns;
  const columns = transposeB ? bRows : bColumns;

  const direct = (transposeA ? aSize : 0) + (transposeB ? bSize : 0) + inner * columns;
  const swapped = (transposeA ? 0 : aSize) + (transposeB ? 0 : bSize) + outer * columns + inner * outer;
  return swapped < direct;
}

/**
 * Transposes a matrix on the wasm backend, in blocks when that is faster.
 *
 * tfjs 4.22's wasm kernel transposes a rows × columns matrix by reading it in order and
 * writing with a stride of `rows` floats. When that stride is a large power of two, the writes
 * keep evicting each other from the cache: a 1024×128 matrix took 1.05 ms against 0.11 ms for
 * 1000×128. Viewed as [rows/64, 64, columns] and permuted to [columns, rows/64, 64], the same
 * transpose runs through the kernel's 3-D loop instead. That loop writes in order and reads
 * with a stride of `columns`, and took 0.41 ms for 1024×128 and 5.7 ms against 9.8 ms for
 * 1024×1024. For wide matrices (rows < columns) and for fewer than 512 rows the plain kernel
 * was as fast or faster (Node 20, one thread).
 */
function transposeMatrix(matrix: tf.Tensor): tf.Tensor {
  const [rows, columns] = matrix.shape;
  if (rows < BLOCKED_TRANSPOSE_MIN_ROWS || rows < columns || rows % TRANSPOSE_BLOCK !== 0) {
    return tf.transpose(matrix);
  }
  const blocks = tf.reshape(matrix, [rows / TRANSPOSE_BLOCK, TRANSPOSE_BLOCK, columns]);
  return tf.reshape(tf.transpose(blocks, [2, 0, 1]), [columns, rows]);
}

const TRANSPOSE_BLOCK = 64;
const BLOCKED_TRANSPOSE_MIN_ROWS = 512;

function transposeLastAxes(tensor: tf.Tensor): tf.Tensor {
  if (tensor.rank === 2) {
    return transposeMatrix(tensor);
  }
  const axes = [...Array(tensor.rank).keys()];
  axes.splice(-2, 2, tensor.rank - 1, tensor.rank - 2);
  return tf.transpose(tensor, axes);
}

/**
 * Saves the tensors that a tf.customGrad gradient needs, and returns a function that gives
 * them back, in the same order, from the `saved` argument of the gradient function.
 *
 * tf.Variables are referenced instead of saved. tfjs saves a tensor by copying it, and the
 * wasm backend copies the data. The copy also has a new id, and the wasm backend caches
 * XNNPACK's packing of a matMul's right operand by id, so a copy is packed again where the
 * variable's packing from the forward pass could be reused.
 * NOTE: a variable assigned between the forward pass and the gradient computation would give
 * the gradient at its new value. tfjs optimizers and model.fit assign only after.
 */
export function saveForGradient(save: tf.GradSaveFunc, tensors: tf.Tensor[]): (saved: tf.Tensor[]) => tf.Tensor[] {
  save(tensors.filter((tensor) => !(tensor instanceof tf.Variable)));
  return (saved) => {
    let next = 0;
    return tensors.map((tensor) => (tensor instanceof tf.Variable ? tensor : saved[next++]));
  };
}

/**
 * Core's TensorOps implemented with tfjs ops, so core's regularizer formulas run on any tfjs
 * backend and tfjs autodiff can differentiate them. Scalars are rank-0 tensors.
 */
export const tfjsOps: TensorOps<tf.Tensor> = {
  matMul: matMulTransposed,
  add: (a, b) => tf.add(a, b),
  mul: (a, b) => tf.mul(a, b),
  sum: (a) => tf.sum(a),
  scale: (a, factor) => tf.mul(a, tf.scalar(factor)),
};
