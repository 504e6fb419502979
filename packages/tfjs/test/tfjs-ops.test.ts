import * as tf from '@tensorflow/tfjs';

import { matMulTransposed } from '../src/tfjs-ops.js';
import { describeEachBackend, expectClose, randomMatrix } from './helpers.js';

// Shapes of a factorized 1024 → 1024 layer's gradient products at batch 128 and rank 128. On
// wasm they reach the reordered form and the blocked transpose (512 rows or more, a multiple
// of 64), which smaller test shapes never do.
const CASES: { name: string; a: [number, number]; b: [number, number]; transposeA: boolean; transposeB: boolean }[] = [
  { name: 'xᵀ·dy', a: [128, 1024], b: [128, 128], transposeA: true, transposeB: false },
  { name: 'dy·Vᵀ', a: [128, 1024], b: [128, 1024], transposeA: false, transposeB: true },
  { name: 'Uᵀ·U', a: [1024, 128], b: [1024, 128], transposeA: true, transposeB: false },
  { name: 'both transposed', a: [1024, 128], b: [64, 1024], transposeA: true, transposeB: true },
  { name: 'no flags', a: [128, 1024], b: [1024, 128], transposeA: false, transposeB: false },
];

describeEachBackend('matMulTransposed', () => {
  CASES.forEach(({ name, a, b, transposeA, transposeB }, index) => {
    it(`equals flagged matMul, ${name}`, () => {
      const left = tf.tensor2d(randomMatrix(10 + index, a[0], a[1]).toFloat32Array(), a);
      const right = tf.tensor2d(randomMatrix(20 + index, b[0], b[1]).toFloat32Array(), b);
      const before = tf.memory().numTensors;

      const actual = matMulTransposed(left, right, transposeA, transposeB);
      // The reference runs the flags on the cpu backend's naive kernel, whatever backend is active.
      const expected = tf.tidy(() => tf.matMul(left, right, transposeA, transposeB));

      // Entries are sums of up to 1024 products of standard normals, so float32 rounding in
      // a different summation order reaches about 1e-4 relative to their size of ~30.
      expectClose(actual, expected, 1e-4);
      expect(actual.shape).toEqual(expected.shape);
      tf.dispose([actual, expected]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([left, right]);
    });
  });
});
