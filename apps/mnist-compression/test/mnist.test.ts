import { IdxFormatError, IMAGE_SIZE, loadMnist, parseIdx } from '../src/mnist.js';

/** Builds an IDX file of unsigned bytes with the given dimensions and data. */
function idxFile(dimensions: number[], data: number[], typeCode = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dimensions.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = dimensions.length;
  dimensions.forEach((size, index) => view.setUint32(4 + 4 * index, size, false));
  const file = new Uint8Array(header.length + data.length);
  file.set(header);
  file.set(data, header.length);
  return file;
}

describe('parseIdx', () => {
  it('reads dimensions big-endian', () => {
    const parsed = parseIdx(idxFile([2, 3, 258], new Array<number>(2 * 3 * 258).fill(7)));
    expect(parsed.dimensions).toEqual([2, 3, 258]);
  });

  it('returns the data after the header', () => {
    const parsed = parseIdx(idxFile([4], [9, 8, 7, 6]));
    expect(Array.from(parsed.data)).toEqual([9, 8, 7, 6]);
  });

  it('rejects a bad magic number', () => {
    const file = idxFile([1], [0]);
    file[0] = 1;
    expect(() => parseIdx(file, 'bad.idx')).toThrow(IdxFormatError);
  });

  it('rejects non-byte element types', () => {
    expect(() => parseIdx(idxFile([1], [0, 0, 0, 0], 0x0d), 'floats.idx')).toThrow(/type 0x0d/);
  });

  it('rejects a truncated header', () => {
    expect(() => parseIdx(idxFile([5, 5], []).subarray(0, 9))).toThrow(/truncated header/);
  });

  it('rejects a data length mismatch', () => {
    expect(() => parseIdx(idxFile([2, 2], [1, 2, 3]), 'short.idx')).toThrow(/short\.idx has 3 data bytes, but its header \[2, 2\] needs 4/);
  });
});

describe('loadMnist', () => {
  const options = { trainSize: 300, validationSize: 100, testSize: 200, seed: 5 };

  it('returns the requested split sizes', async () => {
    const data = await loadMnist(options);
    expect([data.train.count, data.validation.count, data.test.count]).toEqual([300, 100, 200]);
  });

  it('scales pixels to the unit interval', async () => {
    const { train } = await loadMnist(options);
    const maximum = train.images.reduce((max, value) => Math.max(max, value), 0);
    const minimum = train.images.reduce((min, value) => Math.min(min, value), 1);
    expect([minimum, maximum]).toEqual([0, 1]);
  });

  it('stores one image per label', async () => {
    const { test } = await loadMnist(options);
    expect(test.images.length).toBe(test.labels.length * IMAGE_SIZE);
  });

  it('draws labels of every digit', async () => {
    const { train } = await loadMnist(options);
    expect(new Set(train.labels).size).toBe(10);
  });

  it('repeats the draw for a seed', async () => {
    const first = await loadMnist(options);
    const second = await loadMnist(options);
    expect(Buffer.from(second.validation.images.buffer).equals(Buffer.from(first.validation.images.buffer))).toBe(true);
  });

  it('keeps validation apart from training', async () => {
    const data = await loadMnist({ ...options, trainSize: 59_000, validationSize: 1000 });
    const key = (images: Float32Array, index: number): string => Buffer.from(images.buffer, index * IMAGE_SIZE * 4, IMAGE_SIZE * 4).toString('base64');
    const validation = new Set(Array.from({ length: data.validation.count }, (_, index) => key(data.validation.images, index)));
    const overlap = Array.from({ length: data.train.count }, (_, index) => key(data.train.images, index)).filter((image) => validation.has(image));
    // NOTE: MNIST's training file contains a few exact duplicate images, so a disjoint split can still share some pixels.
    expect(overlap.length).toBeLessThan(20);
  });

  it('shares buffers when asked', async () => {
    const data = await loadMnist({ ...options, shared: true });
    expect(data.train.images.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('rejects more images than the file has', async () => {
    await expect(loadMnist({ ...options, trainSize: 59_950 })).rejects.toThrow(RangeError);
  });
});
