import { backend_util } from '@tensorflow/tfjs';
import type {
  Conv2DBackpropFilterAttrs,
  KernelBackend,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import { checkOutputGradientShape, explicitPadding, IntermediateTensors, sizeOf, zerosOutput } from './backend-kernels.js';

/**
 * Conv2DBackpropFilter for the wasm backend: the filter gradient
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sH + kh − top, ow·sW + kw − left, ci] · dy[b, oh, ow, co]
 * of a stride-(sH, sW), dilation-1 convolution, for NHWC and NCHW inputs and every padding
 * tfjs accepts ('same', 'valid', a number, explicit pads). Output: float32 [kh, kw, in, out].
 *
 * The sum is itself a correlation, so it runs on the backend's XNNPACK convolution instead of
 * a JavaScript loop. With x laid out as [in, H, W, batch] and dy as [outH, outW, batch, out],
 * dW is a stride-1 convolution of x with dy as the filter, dilated by the forward stride.
 * Two transposes before it and one after move the data. No im2col matrix is formed, so the
 * extra memory is one copy of x and one of dy.
 *
 * A 1×1 filter with stride 1 and no padding takes one plain matrix product instead, xᵀ·dy.
 * xᵀ is formed by a transpose because the backend's matMul with transposeA was about 50×
 * slower than its plain one at 1024×1024 (tfjs-backend-wasm 4.22, Node 20).
 */
export const conv2dBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;

  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  checkOutputGradientShape('Conv2DBackpropFilter', dy, convInfo);

  if (sizeOf(x.shape) === 0 || sizeOf(dy.shape) === 0) {
    return zerosOutput(backend as KernelBackend, convInfo.filterShape);
  }

  const intermediates = new IntermediateTensors(backend as KernelBackend);
  try {
    return isPointwise(convInfo)
      ? pointwiseFilterGradient(intermediates, x, dy, convInfo)
      : correlationFilterGradient(intermediates, x, dy, convInfo);
  } finally {
    intermediates.dispose();
  }
};


function isPointwise(convInfo: backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = convInfo.padInfo;
  return (
    convInfo.filterHeight === 1 &&
    convInfo.filterWidth === 1 &&
    convInfo.strideHeight === 1 &&
    convInfo.strideWidth === 1 &&
    top === 0 &&
    bottom === 0 &&
    left === 0 &&
    right === 0
  );
}

/** dW = xᵀ · dy with x as a [pixels, in] matrix and dy as [pixels, out]. */
function pointwiseFilterGradient(
  intermediates: IntermediateTensors,
  x: TensorInfo,
  dy: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): TensorInfo {
  const { inChannels, outChannels, batchSize, outHeight, outWidth } = convInfo;
  const pixels = batchSize * outHeight * outWidth;
  const channelsLast = convInfo.dataFormat === 'channelsLast';

  const channelsFirstX = intermediates.run('Transpose', { x }, { perm: channelsLast ? [3, 0, 1, 2] : [1, 0, 2, 3] });
  const xMatrix = intermediates.run('Reshape', { x: channelsFirstX }, { shape: [inChannels, pixels] });

  const channelsLastDy = channelsLast ? dy : intermediates.run('Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
  const dyMatrix = intermediates.run('Reshape', { x: channelsLastDy }, { shape: [pixels, outChannels] });

  const product = intermediates.run(
    'BatchMatMul',
    { a: xMatrix, b: dyMatrix },
    { transposeA: false, transposeB: false },
  );
  return intermediates.runOutput('Reshape', { x: product }, { shape: convInfo.filterShape });
}

/**
 * dW as a convolution of x ([in, H, W, batch]: the input channels act as the batch and the
 * batch as the channels) with dy ([outH, outW, batch, out]) as the filter, dilated by the
 * forward stride. Its output, [in, kh′, kw′, out], has kh′ ≥ kh rows: the bottom pad is
 * raised to reach kh, and rows past kh (input rows the forward pass never reached) are cut.
 */
function correlationFilterGradient(
  intermediates: IntermediateTensors,
  x: TensorInfo,
  dy: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = convInfo;
  const { inHeight, inWidth, inChannels, outChannels } = convInfo;
  const { top, left } = convInfo.padInfo;
  const channelsLast = convInfo.dataFormat === 'channelsLast';

  const xByChannel = intermediates.run('Transpose', { x }, { perm: channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0] });
  const dyAsFilter = intermediates.run('Transpose', { x: dy }, { perm: channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1] });

  const pads = {
    top,
    bottom: Math.max(0, filterHeight + strideHeight * (outHeight - 1) - inHeight - top),
    left,
    right: Math.max(0, filterWidth + strideWidth * (outWidth - 1) - inWidth - left),
  };
  const correlation = intermediates.run(
    'Conv2D',
    { x: xByChannel, filter: dyAsFilter },
    { strides: [1, 1], pad: explicitPadding(pads), dataFormat: 'NHWC', dilations: [strideHeight, strideWidth] },
  );

  const [, rows, columns] = correlation.shape;
  const cropped =
    rows === filterHeight && columns === filterWidth
      ? correlation
      : intermediates.run(
          'Slice',
          { x: correlation },
          { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] },
        );

  return intermediates.runOutput('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
}
