import { checkConvKernelShape, checkPositiveInteger } from './argument-checks.js';

/**
 * Fan-in and fan-out of a weight, the unit counts that variance-scaling initializers divide by.
 * Both are positive; the fan rules below give integers.
 */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** A conv kernel shape in TensorFlow.js order: [kernelHeight, kernelWidth, inChannels, outChannels]. */
export type ConvKernelShape = readonly [number, number, number, number];

/**
 * Returns the fans of a dense kernel [inputSize, outputSize]: fanIn = inputSize,
 * fanOut = outputSize, as Keras and TensorFlow.js compute them.
 */
export function denseFans(inputSize: number, outputSize: number): Fans {
  checkPositiveInteger('inputSize', inputSize);
  checkPositiveInteger('outputSize', outputSize);
  return { fanIn: inputSize, fanOut: outputSize };
}

/**
 * Returns the fans of a conv kernel [kh, kw, in, out]: with receptive field kh·kw,
 * fanIn = in·kh·kw and fanOut = out·kh·kw, as Keras and TensorFlow.js compute them for
 * channels-last kernels.
 */
export function convFans(kernelShape: ConvKernelShape): Fans {
  checkConvKernelShape('kernelShape', kernelShape);
  const [kernelHeight, kernelWidth, inChannels, outChannels] = kernelShape;
  const receptiveField = kernelHeight * kernelWidth;
  return { fanIn: inChannels * receptiveField, fanOut: outChannels * receptiveField };
}
