// Code that pack-check runs before a README example, defining the data the example leaves to
// the reader. A prelude may use the names the README imports but imports nothing itself.

export const PRELUDES = {
  tfjs: `
// 64 random 28×28 images and one-hot labels stand in for MNIST.
const xs = tf.randomUniform([64, 784]);
const ys = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32') as tf.Tensor1D, 10).toFloat();
`,
  brain: `
// 32 patterns of 196 inputs and one-hot targets stand in for the pooled MNIST digits.
const data = Array.from({ length: 32 }, (_, pattern) => ({
  input: Float32Array.from({ length: 196 }, (_, pixel) => ((pattern * 31 + pixel * 17) % 100) / 100),
  output: Float32Array.from({ length: 10 }, (_, digit) => (digit === pattern % 10 ? 1 : 0)),
}));
`,
};
