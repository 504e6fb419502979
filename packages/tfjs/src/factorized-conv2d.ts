import * as tf from '@tensorflow/tfjs';
import type { ConvScheme } from '@factorized/core';
import { convFans, convMatrixShape, InvalidArgumentError, UnsupportedError } from '@factorized/core';
import { exactlyOneShape } from './factorized-dense.js';
import type { FactorizedLayerArgs } from './layer-args.js';
import { FactorizedLayer } from './factorized-layer.js';
import { withDefaultName } from './layer-args.js';
import { registerLayerClass } from './register-class.js';
import { ensureWasmConvFilterGradient } from './wasm-conv-training.js';

/** Options of FactorizedConv2D: those of tf.layers.conv2d (except the kernel's) plus the factorization options. */
export interface FactorizedConv2DArgs extends FactorizedLayerArgs {
  /** Number of output channels, a positive integer. */
  filters: number;
  /** Kernel height and width, or one number for both. */
  kernelSize: number | [number, number];
  /** Strides along height and width, or one number for both. Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** 'channelsLast' (default, NHWC) or 'channelsFirst' (NCHW). */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Dilation along height and width, or one number for both. Default 1. */
  dilationRate?: number | [number, number];
  /**
   * Factorization scheme of the kernel [kh, kw, in, out] (core's ConvScheme). Default 'paper'.
   * - 'paper': U [(in·kw), r] runs as a 1×kw conv from `in` to r channels, V [r, (out·kh)] as
   *   a kh×1 conv from r to `out` channels, as in microsoft/fnl_paper.
   * - 'pointwise': U [(kh·kw·in), r] runs as a kh×kw conv to r channels, V [r, out] as a 1×1 conv.
   */
  scheme?: ConvScheme;
}

/**
 * A 2-D convolution whose kernel [kh, kw, in, filters] is trained as a product of two factors
 * (three with `factors: 3`), in the matricization of `scheme`, and run as two convolutions.
 *
 * The pair of convolutions equals the convolution with the collapsed kernel for every padding,
 * stride and dilation that this layer accepts. For 'paper' the width stride, dilation and
 * padding go to the first (1×kw) conv and the height ones to the second (kh×1) conv. The
 * FactorizedConv of microsoft/fnl_paper (frob.py) splits them the same way: its first conv
 * gets stride (1, s_w), padding (0, p_w) and dilation (1, d_w), its second (s_h, 1), (p_h, 0)
 * and (d_h, 1). The split is exact for 'same' padding too, because TensorFlow.js pads each
 * axis by an amount that depends on that axis alone, and a 1-wide kernel with stride 1 needs
 * no padding along its axis.
 *
 * channelsFirst inputs are transposed to channels-last and back, as tf.layers.conv2d does.
 * The kernel is [kh, kw, in, out] in both data formats.
 */
export class FactorizedConv2D extends FactorizedLayer {
  static readonly className: string = 'factorized.FactorizedConv2D';

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: 'channelsLast' | 'channelsFirst';
  readonly dilationRate: [number, number];
  readonly scheme: ConvScheme;

  private inChannels: number | null = null;

  constructor(args: FactorizedConv2DArgs) {
    super(withDefaultName(args, 'factorized_conv2d'), [
      'filters',
      'kernelSize',
      'strides',
      'padding',
      'dataFormat',
      'dilationRate',
      'scheme',
    ]);

    if (typeof args.filters !== 'number' || !Number.isSafeInteger(args.filters) || args.filters < 1) {
      throw new InvalidArgumentError('filters', args.filters, 'a positive integer');
    }
    this.filters = args.filters;
    this.kernelSize = readPair('kernelSize', args.kernelSize);
    this.strides = readPair('strides', args.strides ?? 1);
    this.dilationRate = readPair('dilationRate', args.dilationRate ?? 1);

    const padding = args.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') {
      throw new InvalidArgumentError('padding', padding, "'valid' or 'same'");
    }
    this.padding = padding;

    const dataFormat = args.dataFormat ?? 'channelsLast';
    if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
      throw new InvalidArgumentError('dataFormat', dataFormat, "'channelsLast' or 'channelsFirst'");
    }
    this.dataFormat = dataFormat;

    const scheme = args.scheme ?? 'paper';
    if (scheme !== 'paper' && scheme !== 'pointwise') {
      throw new InvalidArgumentError('scheme', scheme, "'paper' or 'pointwise'");
    }
    this.scheme = scheme;

    // NOTE: tf.conv2d rejects strides > 1 together with dilations > 1. The 'paper' split could
    // run some such pairs (height stride with width dilation), but the collapsed kernel could
    // not, so every scheme rejects them alike.
    if (this.strides.some((stride) => stride > 1) && this.dilationRate.some((dilation) => dilation > 1)) {
      throw new UnsupportedError(
        'Strides > 1 together with dilationRate > 1, which tf.conv2d rejects, are not supported yet, ' +
          `got strides [${this.strides.join(', ')}] with dilationRate [${this.dilationRate.join(', ')}].`,
      );
    }

    const [rows, columns] = convMatrixShape([...this.kernelSize, this.knownInChannels() ?? 1, this.filters], scheme);
    this.validateFactorization(this.knownInChannels() === undefined ? undefined : rows, columns);
    this.inputSpec = [{ ndim: 4 }];
  }

  /** The kernel shape [kh, kw, in, out] of the equivalent tf.layers.conv2d; null until built. */
  get kernelShape(): [number, number, number, number] | null {
    return this.inChannels === null ? null : [...this.kernelSize, this.inChannels, this.filters];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = exactlyOneShape(inputShape);
    const channelAxis = this.dataFormat === 'channelsFirst' ? 1 : 3;
    const inChannels = shape[channelAxis];
    if (shape.length !== 4 || inChannels === null || inChannels === undefined) {
      throw new InvalidArgumentError(
        'inputShape',
        shape,
        `a 4-D shape with a known channel dimension (axis ${channelAxis})`,
      );
    }

    const kernelShape: [number, number, number, number] = [...this.kernelSize, inChannels, this.filters];
    const [rows, columns] = convMatrixShape(kernelShape, this.scheme);
    this.buildFactors(rows, columns, convFans(kernelShape), this.filters);
    this.inChannels = inChannels;
    this.inputSpec = [{ ndim: 4, axes: { [channelAxis]: inChannels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = exactlyOneShape(inputShape);
    const spatialAxes = this.dataFormat === 'channelsFirst' ? [2, 3] : [1, 2];
    const spatial = spatialAxes.map((axis, index) =>
      convOutputLength(
        shape[axis],
        this.kernelSize[index],
        this.padding,
        this.strides[index],
        this.dilationRate[index],
      ),
    );
    return this.dataFormat === 'channelsFirst'
      ? [shape[0], this.filters, ...spatial]
      : [shape[0], ...spatial, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // NOTE: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so without this the
    // factors' gradients fail on wasm. Only that missing kernel is added.
    if (tf.getBackend() === 'wasm') {
      ensureWasmConvFilterGradient();
    }

    return tf.tidy(() => {
      const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const channelsLast = this.dataFormat === 'channelsFirst' ? tf.transpose(input, [0, 2, 3, 1]) : input;
      const output = this.addBiasAndActivate(this.convolveWithFactors(channelsLast));
      return this.dataFormat === 'channelsFirst' ? tf.transpose(output, [0, 3, 1, 2]) : output;
    });
  }

  /** Runs the two convolutions of the factors on a channels-last input, without bias. */
  private convolveWithFactors(input: tf.Tensor4D): tf.Tensor4D {
    const { left, middle, right } = this.factorTensors();
    const [kernelHeight, kernelWidth, inChannels, outChannels] = this.kernelShape as [number, number, number, number];
    const rank = right.shape[0];
    const firstFactor = middle === undefined ? left : tf.matMul(left, middle);
    const [strideHeight, strideWidth] = this.strides;
    const [dilationHeight, dilationWidth] = this.dilationRate;

    if (this.scheme === 'pointwise') {
      const first = tf.reshape<tf.Rank.R4>(firstFactor, [kernelHeight, kernelWidth, inChannels, rank]);
      const second = tf.reshape<tf.Rank.R4>(right, [1, 1, rank, outChannels]);
      const hidden = tf.conv2d(input, first, this.strides, this.padding, 'NHWC', this.dilationRate);
      return tf.conv2d(hidden, second, 1, 'valid');
    }

    // core's 'paper' layout: first[0, x, i, s] = U[x·in + i, s] and second[y, 0, s, o] = V[s, y·out + o].
    const first = tf.reshape<tf.Rank.R4>(firstFactor, [1, kernelWidth, inChannels, rank]);
    const second = tf.reshape<tf.Rank.R4>(
      tf.transpose(tf.reshape(right, [rank, kernelHeight, outChannels]), [1, 0, 2]),
      [kernelHeight, 1, rank, outChannels],
    );
    const hidden = tf.conv2d(input, first, [1, strideWidth], this.padding, 'NHWC', [1, dilationWidth]);
    return tf.conv2d(hidden, second, [strideHeight, 1], this.padding, 'NHWC', [dilationHeight, 1]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [...this.dilationRate],
      scheme: this.scheme,
      ...this.factorizationConfig(),
      ...super.getConfig(),
    };
  }

  private knownInChannels(): number | undefined {
    const shape = this.batchInputShape;
    if (shape === undefined || shape === null || shape.length !== 4) {
      return undefined;
    }
    return shape[this.dataFormat === 'channelsFirst' ? 1 : 3] ?? undefined;
  }
}

registerLayerClass(FactorizedConv2D);

/** Reads a pair of positive integers given as one number or a [height, width] array. */
function readPair(argument: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((entry) => typeof entry === 'number' && Number.isSafeInteger(entry) && entry >= 1)
  ) {
    throw new InvalidArgumentError(
      argument,
      value,
      'a positive integer or a pair [height, width] of positive integers',
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/** Computes the output length along one spatial axis as tf.layers.conv2d does; null stays null. */
function convOutputLength(
  inputLength: number | null,
  kernelSize: number,
  padding: 'valid' | 'same',
  stride: number,
  dilation: number,
): number | null {
  if (inputLength === null) {
    return null;
  }
  const dilatedKernelSize = kernelSize + (kernelSize - 1) * (dilation - 1);
  const length = padding === 'same' ? inputLength : inputLength - dilatedKernelSize + 1;
  return Math.floor((length + stride - 1) / stride);
}
