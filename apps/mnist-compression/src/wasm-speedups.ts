import * as tf from '@tensorflow/tfjs';

/**
 * Makes training on the wasm backend of tfjs 4.22 about 5× faster for this app's models by
 * working around two slow paths, without changing any result beyond float32 rounding:
 *
 * - BatchMatMul with transposeA or transposeB (every weight gradient of a dense layer is
 *   xᵀ·dy) runs a slow loop in tfjs-backend-wasm 4.22: 128×1024ᵀ · 128×1024 took 660 ms against
 *   11 ms without the transpose. The kernel is wrapped to transpose the operand with the wasm
 *   Transpose kernel first (≈ 11 ms for 1024×1024) and multiply without transposes.
 * - The gradient of FusedBatchNorm with respect to x tiles 1/√(σ² + ε) to the input's shape with
 *   Tile, which is slow on wasm (≈ 9 ms per batch-norm layer at 128×1024). The replacement
 *   gradient broadcasts instead; the formulas are those of tfjs-core 4.22 otherwise.
 *
 * Measured in Node 20 on one core, MLP 784-1024-1024-10 with batch normalization, batch 128:
 * 10.1 s per 1000 training images before, 0.77 s after.
 *
 * Call once after the wasm backend is ready; calling again does nothing. Changes global tfjs
 * state: the BatchMatMul kernel of the wasm backend and the FusedBatchNorm gradient of all
 * backends.
 */
export function installWasmTrainingSpeedups(): void {
  if (installed) {
    return;
  }
  wrapTransposedMatMul();
  replaceBatchNormGradient();
  installed = true;
}

let installed = false;

function wrapTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (original === undefined || transpose === undefined) {
    throw new Error('installWasmTrainingSpeedups needs the wasm backend: its BatchMatMul or Transpose kernel is not registered.');
  }

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { backend, attrs } = args;
      const inputs = args.inputs as unknown as tf.BatchMatMulInputs & { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) {
        return original.kernelFunc(args);
      }

      const temporaries: tf.TensorInfo[] = [];
      const swapLastAxes = (x: tf.TensorInfo): tf.TensorInfo => {
        const perm = x.shape.map((_, axis) => axis);
        const last = perm.length - 1;
        [perm[last - 1], perm[last]] = [perm[last], perm[last - 1]];
        const result = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        temporaries.push(result);
        return result;
      };

      const a = transposeA ? swapLastAxes(inputs.a) : inputs.a;
      const b = transposeB ? swapLastAxes(inputs.b) : inputs.b;
      const output = original.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      for (const temporary of temporaries) {
        (backend as tf.KernelBackend).disposeData(temporary.dataId);
      }
      return output;
    },
  });
}

function replaceBatchNormGradient(): void {
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      const [x, mean, variance, scale] = saved;
      const gradient = dy as tf.Tensor;
      const scaleValue = scale ?? tf.scalar(1);
      const reductionAxes = broadcastAxes(mean.shape, x.shape);
      const reduce = (value: tf.Tensor): tf.Tensor => (reductionAxes.length > 0 ? tf.sum(value, reductionAxes) : value);

      const inverseStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const centered = tf.sub(x, mean);
      const scaledGradient = tf.mul(gradient, scaleValue);
      const minusHalfInverseCube = tf.mul(tf.mul(tf.mul(inverseStd, inverseStd), inverseStd), tf.scalar(-0.5));

      return {
        x: () => tf.reshape(tf.mul(tf.mul(gradient, inverseStd), scaleValue), x.shape),
        mean: () => tf.reshape(reduce(tf.mul(tf.neg(inverseStd), scaledGradient)), mean.shape),
        variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfInverseCube, centered), scaledGradient)), mean.shape),
        scale: () => tf.reshape(reduce(tf.mul(gradient, tf.mul(centered, inverseStd))), mean.shape),
        offset: () => tf.reshape(reduce(gradient), mean.shape),
      };
    },
  });
}

/** Axes of `shape` along which a tensor of `smallShape` was broadcast to it (NumPy rules, shapes aligned on the right). */
function broadcastAxes(smallShape: readonly number[], shape: readonly number[]): number[] {
  const offset = shape.length - smallShape.length;
  return shape.flatMap((size, axis) => (axis < offset || (smallShape[axis - offset] === 1 && size !== 1) ? [axis] : []));
}
