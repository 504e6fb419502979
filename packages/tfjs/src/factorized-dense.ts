import * as tf from '@tensorflow/tfjs';
import { denseFans, InvalidArgumentError } from '@factorized/core';
import { multiplyByFactors } from './factor-product.js';
import type { FactorizedLayerArgs } from './layer-args.js';
import { FactorizedLayer } from './factorized-layer.js';
import { withDefaultName } from './layer-args.js';
import { registerLayerClass } from './register-class.js';

/** Options of FactorizedDense: those of tf.layers.dense (except the kernel's) plus the factorization options. */
export interface FactorizedDenseArgs extends FactorizedLayerArgs {
  /** Output size, a positive integer. */
  units: number;
  /** Input size; a shortcut for inputShape [inputDim]. */
  inputDim?: number;
}

/**
 * A dense layer whose kernel W ([input, units]) is trained as U·V (U [input, r], V [r, units]),
 * or U·M·V with M [r, r]. The output is activation(x·U·V + bias), computed as (x·U)·V, so a
 * batch of n rows costs O(n·r·(input + units)) instead of O(n·input·units).
 *
 * Weights, in this order: `left` U, `middle` M (three factors only), `right` V, `bias`.
 * Spectral initialization (the default) starts U·V at the best rank-r approximation of the
 * kernel a tf.layers.dense would draw (glorotNormal unless kernelInitializer sets another).
 * frobeniusDecay adds (λ/2)·‖U·V‖²_F to the loss that model.fit minimizes.
 *
 * Options are validated when the layer is constructed. A rank above min(input, units) without
 * overcomplete is rejected then if the input size is known (inputShape, batchInputShape or
 * inputDim), otherwise when the layer is built.
 */
export class FactorizedDense extends FactorizedLayer {
  static readonly className: string = 'factorized.FactorizedDense';

  readonly units: number;

  constructor(args: FactorizedDenseArgs) {
    super(withDefaultName(args, 'factorized_dense'), ['units', 'inputDim']);

    if (typeof args.units !== 'number' || !Number.isSafeInteger(args.units) || args.units < 1) {
      throw new InvalidArgumentError('units', args.units, 'a positive integer');
    }
    this.units = args.units;

    if (args.inputDim !== undefined && args.inputDim !== null) {
      if (!Number.isSafeInteger(args.inputDim) || args.inputDim < 1) {
        throw new InvalidArgumentError('inputDim', args.inputDim, 'a positive integer');
      }
      if (args.batchInputShape == null && args.inputShape == null) {
        this.batchInputShape = [args.batchSize ?? null, args.inputDim];
      }
    }

    const knownInputSize = this.batchInputShape?.[this.batchInputShape.length - 1] ?? undefined;
    this.validateFactorization(knownInputSize, this.units);
    this.inputSpec = [{ minNDim: 2 }];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = exactlyOneShape(inputShape);
    const inputSize = shape[shape.length - 1];
    if (inputSize === null) {
      throw new InvalidArgumentError('inputShape', shape, 'a known last dimension (the input size)');
    }

    this.buildFactors(inputSize, this.units, denseFans(inputSize, this.units), this.units);
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: inputSize } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = exactlyOneShape(inputShape).slice();
    shape[shape.length - 1] = this.units;
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const input = Array.isArray(inputs) ? exactlyOneTensor(inputs) : inputs;
      const inputSize = input.shape[input.rank - 1];
      const rows = tf.reshape<tf.Rank.R2>(input, [-1, inputSize]);
      const product = multiplyByFactors(rows, this.factorTensors());
      const output = input.rank === 2 ? product : product.reshape([...input.shape.slice(0, -1), this.units]);
      return this.addBiasAndActivate(output);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { units: this.units, ...this.factorizationConfig(), ...super.getConfig() };
  }
}

registerLayerClass(FactorizedDense);

/** Returns the single shape of a layer's input, rejecting multiple inputs. */
export function exactlyOneShape(shapes: tf.Shape | tf.Shape[]): tf.Shape {
  if (Array.isArray(shapes[0])) {
    if (shapes.length !== 1) {
      throw new InvalidArgumentError('inputShape', shapes, 'exactly one input shape');
    }
    return shapes[0];
  }
  return shapes as tf.Shape;
}

function exactlyOneTensor(tensors: tf.Tensor[]): tf.Tensor {
  if (tensors.length !== 1) {
    throw new InvalidArgumentError('inputs', `${tensors.length} tensors`, 'exactly one input tensor');
  }
  return tensors[0];
}
