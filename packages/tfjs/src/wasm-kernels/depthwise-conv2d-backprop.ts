import { UnsupportedError } from '@factorized/core';
import { backend_util } from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import { checkOutputGradientShape } from './backend-kernels.js';
import type { WasmBackend } from './backend-kernels.js';

/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend, NHWC, any channel multiplier m:
 * dW[kh, kw, c, j] = Σ_{b, oh, ow} x[b, oh·sH + kh − top, ow·sW + kw − left, c] · dy[b, oh, ow, c·m + j].
 *
 * A typed-array loop over copies of x and dy: O(batch · outH · outW · kh · kw · c · m) work,
 * which is the cost of one depthwise forward pass, accumulated in float64. tfjs-core 4.22
 * rejects dilations above 1 in this gradient before any kernel runs, and so does this kernel.
 */
export const depthwiseConv2dBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const wasm = backend as WasmBackend;

  const convInfo = depthwiseInfo('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, strides, dilations, pad, dimRoundingMode);
  checkOutputGradientShape('DepthwiseConv2dNativeBackpropFilter', dy, convInfo);

  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = convInfo;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const { top, left } = convInfo.padInfo;
  const multiplier = outChannels / inChannels;
  const xValues = wasm.readSync(x.dataId) as Float32Array;
  const dyValues = wasm.readSync(dy.dataId) as Float32Array;
  const gradient = new Float32Array(filterHeight * filterWidth * outChannels);
  const sums = new Float64Array(outChannels);

  for (let kh = 0; kh < filterHeight; kh++) {
    const [ohStart, ohEnd] = validOutputRange(kh, top, strideHeight, inHeight, outHeight);

    for (let kw = 0; kw < filterWidth; kw++) {
      const [owStart, owEnd] = validOutputRange(kw, left, strideWidth, inWidth, outWidth);
      sums.fill(0);

      for (let b = 0; b < batchSize; b++) {
        for (let oh = ohStart; oh < ohEnd; oh++) {
          const xRow = oh * strideHeight + kh - top;

          for (let ow = owStart; ow < owEnd; ow++) {
            const xColumn = ow * strideWidth + kw - left;
            const xOffset = ((b * inHeight + xRow) * inWidth + xColumn) * inChannels;
            const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;

            for (let c = 0; c < inChannels; c++) {
              const xValue = xValues[xOffset + c];
              for (let j = 0; j < multiplier; j++) {
                const channel = c * multiplier + j;
                sums[channel] += xValue * dyValues[dyOffset + channel];
              }
            }
          }
        }
      }

      gradient.set(sums, (kh * filterWidth + kw) * outChannels);
    }
  }

  return wasm.makeOutput(convInfo.filterShape, 'float32', undefined, gradient);
};

/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend, NHWC, any channel multiplier m:
 * dx[b, ih, iw, c] = Σ dy[b, oh, ow, c·m + j] · W[kh, kw, c, j] over all (oh, kh, ow, kw, j)
 * with oh·sH + kh − top = ih and ow·sW + kw − left = iw.
 *
 * A typed-array loop that scatters each dy pixel into dx, accumulated in float64; same cost
 * and dilation rule as depthwiseConv2dBackpropFilterWasm.
 */
export const depthwiseConv2dBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const wasm = backend as WasmBackend;

  const convInfo = depthwiseInfo('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, strides, dilations, pad, dimRoundingMode);
  checkOutputGradientShape('DepthwiseConv2dNativeBackpropInput', dy, convInfo);

  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = convInfo;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const { top, left } = convInfo.padInfo;
  const multiplier = outChannels / inChannels;
  const dyValues = wasm.readSync(dy.dataId) as Float32Array;
  const filterValues = wasm.readSync(filter.dataId) as Float32Array;
  const sums = new Float64Array(batchSize * inHeight * inWidth * inChannels);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;

        for (let kh = 0; kh < filterHeight; kh++) {
          const xRow = oh * strideHeight + kh - top;
          if (xRow < 0 || xRow >= inHeight) {
            continue;
          }

          for (let kw = 0; kw < filterWidth; kw++) {
            const xColumn = ow * strideWidth + kw - left;
            if (xColumn < 0 || xColumn >= inWidth) {
              continue;
            }

            const dxOffset = ((b * inHeight + xRow) * inWidth + xColumn) * inChannels;
            const filterOffset = (kh * filterWidth + kw) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let sum = 0;
              for (let j = 0; j < multiplier; j++) {
                const channel = c * multiplier + j;
                sum += dyValues[dyOffset + channel] * filterValues[filterOffset + channel];
              }
              sums[dxOffset + c] += sum;
            }
          }
        }
      }
    }
  }

  return wasm.makeOutput(convInfo.inShape, 'float32', undefined, Float32Array.from(sums));
};

function depthwiseInfo(
  kernelName: string,
  inputShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  dilations: [number, number] | number,
  pad: DepthwiseConv2dNativeBackpropFilterAttrs['pad'],
  dimRoundingMode: DepthwiseConv2dNativeBackpropFilterAttrs['dimRoundingMode'],
): backend_util.Conv2DInfo {
  const convInfo = backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );

  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) {
    throw new UnsupportedError(
      `${kernelName} on the wasm backend supports dilations of 1 only, got ` +
        `[${convInfo.dilationHeight}, ${convInfo.dilationWidth}].`,
    );
  }

  return convInfo;
}


/** Returns the output positions [start, end) whose input position o·stride + k − pad is in [0, inSize). */
function validOutputRange(
  k: number,
  pad: number,
  stride: number,
  inSize: number,
  outSize: number,
): [number, number] {
  const start = Math.max(0, Math.ceil((pad - k) / stride));
  const end = Math.min(outSize, Math.ceil((inSize + pad - k) / stride));
  return [start, Math.max(start, end)];
}
