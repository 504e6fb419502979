import * as tf from '@tensorflow/tfjs';
import type {
  FactorizationOptions,
  FactorTensors,
  Fans,
  InitializerConfig,
  InitializerSpec,
  Matrix,
  ResolvedFactorization,
} from '@factorized/core';
import {
  FactorizedError,
  initializeFactors,
  InvalidArgumentError,
  resolveFactorizationOptions,
  resolveInitializer,
} from '@factorized/core';
import { frobeniusDecayTensor, weightDecayTensor } from './factor-penalties.js';
import type { FactorizedLayerArgs } from './layer-args.js';
import { checkLayerArgKeys, DEFAULT_KERNEL_INITIALIZER } from './layer-args.js';
import type {
  InitializerIdentifier,
  TfjsActivation,
  TfjsConstraint,
  TfjsInitializer,
  TfjsRegularizer,
} from './tfjs-identifiers.js';
import {
  resolveTfjsActivation,
  resolveTfjsConstraint,
  resolveTfjsInitializer,
  resolveTfjsRegularizer,
  serializeTfjsObject,
} from './tfjs-identifiers.js';

/** The factor weights of a built layer. `middle` exists for three factors, `bias` when useBias is set. */
export interface FactorWeights {
  left: tf.LayerVariable;
  middle: tf.LayerVariable | null;
  right: tf.LayerVariable;
  bias: tf.LayerVariable | null;
}

/**
 * Shared base of the factorized tfjs layers: option handling, the factor weights U (rows × r),
 * M (r × r) and V (r × columns), their regularization losses and the shared part of getConfig.
 * Subclasses define the rows and columns of the factorized weight and apply the factors to
 * the input.
 */
export abstract class FactorizedLayer extends tf.layers.Layer {
  readonly activation: TfjsActivation;
  readonly useBias: boolean;
  readonly biasInitializer: TfjsInitializer;
  readonly biasRegularizer: TfjsRegularizer | null;
  readonly biasConstraint: TfjsConstraint | null;
  readonly factorRegularizer: TfjsRegularizer | null;
  readonly factorConstraint: TfjsConstraint | null;
  /** The kernel initializer resolved by core, with every parameter filled in. */
  readonly kernelInitializer: InitializerConfig;

  /** The factorization options as given, with null read as absent (saved configs contain nulls). */
  protected readonly factorizationOptions: FactorizationOptions;

  private resolvedFactorization: ResolvedFactorization | null = null;
  private weightsOfFactors: FactorWeights | null = null;

  protected constructor(args: FactorizedLayerArgs, ownKeys: readonly string[]) {
    super(args);
    checkLayerArgKeys((new.target as unknown as { className: string }).className, args, ownKeys);

    for (const rejected of ['kernelRegularizer', 'kernelConstraint'] as const) {
      const value = (args as Record<string, unknown>)[rejected];
      if (value !== undefined && value !== null) {
        throw new InvalidArgumentError(
          rejected,
          value,
          'no value, because a factorized layer has no kernel weight. Use frobeniusDecay (penalty on the ' +
            'product U·V), weightDecay (penalty on each factor), factorRegularizer or factorConstraint ' +
            '(a tfjs regularizer or constraint on each factor)',
        );
      }
    }

    this.activation = resolveTfjsActivation('activation', args.activation);
    const useBias = args.useBias ?? true;
    if (typeof useBias !== 'boolean') {
      throw new InvalidArgumentError('useBias', useBias, 'true or false');
    }
    this.useBias = useBias;
    this.biasInitializer = resolveTfjsInitializer('biasInitializer', args.biasInitializer ?? 'zeros');
    this.biasRegularizer = resolveTfjsRegularizer('biasRegularizer', args.biasRegularizer);
    this.biasConstraint = resolveTfjsConstraint('biasConstraint', args.biasConstraint);
    const activityRegularizer = resolveTfjsRegularizer('activityRegularizer', args.activityRegularizer);
    if (activityRegularizer !== null) {
      this.activityRegularizer = activityRegularizer;
    }
    this.factorRegularizer = resolveTfjsRegularizer('factorRegularizer', args.factorRegularizer);
    this.factorConstraint = resolveTfjsConstraint('factorConstraint', args.factorConstraint);
    this.kernelInitializer = resolveInitializer(
      toInitializerSpec(args.kernelInitializer ?? undefined) ?? DEFAULT_KERNEL_INITIALIZER,
      'kernelInitializer',
    );
    const seed = args.seed ?? undefined;
    const initializerSeed = this.kernelInitializer.seed;
    if (seed !== undefined && initializerSeed !== undefined && seed !== initializerSeed) {
      // core would reject the pair only when the factors are drawn, in build().
      throw new InvalidArgumentError(
        'seed',
        seed,
        `the seed of kernelInitializer (${initializerSeed}) or no seed, because one of the two would be ignored`,
      );
    }

    this.factorizationOptions = {
      rank: args.rank ?? undefined,
      rankScale: args.rankScale ?? undefined,
      factors: args.factors ?? undefined,
      overcomplete: args.overcomplete ?? undefined,
      initialization: args.initialization ?? undefined,
      kernelInitializer: this.kernelInitializer,
      seed,
      frobeniusDecay: args.frobeniusDecay ?? undefined,
      weightDecay: args.weightDecay ?? undefined,
    };
  }

  /**
   * Validates the factorization options through core for a rows × columns weight, throwing
   * InvalidArgumentError naming the option. Subclasses call it from their constructor, where
   * `rows` may be unknown (undefined): then only the bounds that `columns` sets are checked,
   * and build() checks the rest.
   */
  protected validateFactorization(rows: number | undefined, columns: number): ResolvedFactorization {
    return resolveFactorizationOptions(this.factorizationOptions, rows ?? columns, columns);
  }

  /** The resolved options, rank included; null until the layer is built. */
  get factorization(): ResolvedFactorization | null {
    return this.resolvedFactorization;
  }

  /** The factor and bias weights; null until the layer is built. */
  get factorWeights(): FactorWeights | null {
    return this.weightsOfFactors;
  }

  /**
   * Creates the weights `left` [rows, r], `middle` [r, r] (three factors), `right` [r, columns]
   * and `bias` [biasSize], initialized by core's initializeFactors with `fans`, and registers
   * the Frobenius-decay and weight-decay losses.
   *
   * The factors are computed on the first draw only, so a model being loaded, whose weights
   * tfjs creates as zeros and then overwrites, never pays for the SVD.
   */
  protected buildFactors(rows: number, columns: number, fans: Fans, biasSize: number): void {
    if (this.weightsOfFactors !== null) {
      return;
    }

    const resolved = this.validateFactorization(rows, columns);
    let initialFactors: { left: Matrix; middle?: Matrix; right: Matrix } | undefined;
    const draw = (): { left: Matrix; middle?: Matrix; right: Matrix } => {
      initialFactors ??= initializeFactors(resolved, rows, columns, fans);
      return initialFactors;
    };

    const { rank } = resolved;
    const left = this.addWeight(
      'left',
      [rows, rank],
      'float32',
      factorInitializer(() => draw().left),
      this.factorRegularizer ?? undefined,
      true,
      this.factorConstraint ?? undefined,
    );
    const middle =
      resolved.factors === 3
        ? this.addWeight(
            'middle',
            [rank, rank],
            'float32',
            factorInitializer(() => draw().middle as Matrix),
            this.factorRegularizer ?? undefined,
            true,
            this.factorConstraint ?? undefined,
          )
        : null;
    const right = this.addWeight(
      'right',
      [rank, columns],
      'float32',
      factorInitializer(() => draw().right),
      this.factorRegularizer ?? undefined,
      true,
      this.factorConstraint ?? undefined,
    );
    const bias = this.useBias
      ? this.addWeight(
          'bias',
          [biasSize],
          'float32',
          this.biasInitializer,
          this.biasRegularizer ?? undefined,
          true,
          this.biasConstraint ?? undefined,
        )
      : null;

    this.resolvedFactorization = resolved;
    this.weightsOfFactors = { left, middle, right, bias };

    if (resolved.frobeniusDecay > 0) {
      this.addLoss(() => this.frobeniusDecayPenalty());
    }
    if (resolved.weightDecay > 0) {
      this.addLoss(() => this.weightDecayPenalty());
    }
  }

  /** Returns the current factor values as tensors (the variables themselves, not copies). Throws before build. */
  factorTensors(): FactorTensors<tf.Tensor> {
    const weights = this.builtWeights();
    const factors: FactorTensors<tf.Tensor> = { left: weights.left.read(), right: weights.right.read() };
    if (weights.middle !== null) {
      factors.middle = weights.middle.read();
    }
    return factors;
  }

  /**
   * Computes this layer's Frobenius-decay penalty (λ/2)·‖U·V‖²_F (or ‖U·M·V‖²_F) with
   * λ = frobeniusDecay, as a scalar tensor differentiable with respect to the factors; zero
   * when frobeniusDecay is 0. model.fit adds it to the loss by itself.
   */
  frobeniusDecayPenalty(): tf.Scalar {
    const coefficient = this.builtFactorization().frobeniusDecay;
    return coefficient > 0 ? frobeniusDecayTensor(this.factorTensors(), coefficient) : tf.scalar(0);
  }

  /**
   * Computes this layer's weight-decay penalty (λ/2)·Σ‖factor‖²_F with λ = weightDecay, as a
   * scalar tensor; zero when weightDecay is 0. model.fit adds it to the loss by itself.
   */
  weightDecayPenalty(): tf.Scalar {
    const coefficient = this.builtFactorization().weightDecay;
    return coefficient > 0 ? weightDecayTensor(this.factorTensors(), coefficient) : tf.scalar(0);
  }

  /** Adds the bias to the output of the factors and applies the activation. */
  protected addBiasAndActivate(output: tf.Tensor): tf.Tensor {
    const bias = this.weightsOfFactors?.bias ?? null;
    const biased = bias === null ? output : tf.add(output, bias.read());
    return this.activation.apply(biased);
  }

  /** Returns the options that both layers list in getConfig, as given by the user (null where absent). */
  protected factorizationConfig(): tf.serialization.ConfigDict {
    const options = this.factorizationOptions;
    return {
      rank: options.rank ?? null,
      rankScale: options.rankScale ?? null,
      factors: options.factors ?? 2,
      overcomplete: options.overcomplete ?? false,
      initialization: options.initialization ?? 'spectral',
      kernelInitializer: { ...this.kernelInitializer },
      seed: options.seed ?? null,
      frobeniusDecay: options.frobeniusDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      factorRegularizer: serializeTfjsObject(this.factorRegularizer) as tf.serialization.ConfigDict | null,
      factorConstraint: serializeTfjsObject(this.factorConstraint) as tf.serialization.ConfigDict | null,
      activation: this.activation.getClassName(),
      useBias: this.useBias,
      biasInitializer: serializeTfjsObject(this.biasInitializer) as tf.serialization.ConfigDict | null,
      biasRegularizer: serializeTfjsObject(this.biasRegularizer) as tf.serialization.ConfigDict | null,
      biasConstraint: serializeTfjsObject(this.biasConstraint) as tf.serialization.ConfigDict | null,
      activityRegularizer: serializeTfjsObject(this.activityRegularizer) as tf.serialization.ConfigDict | null,
    };
  }

  private builtWeights(): FactorWeights {
    if (this.weightsOfFactors === null) {
      throw new FactorizedError(`Layer ${this.name} is not built yet: apply it to an input or call build() first.`);
    }
    return this.weightsOfFactors;
  }

  private builtFactorization(): ResolvedFactorization {
    this.builtWeights();
    return this.resolvedFactorization as ResolvedFactorization;
  }
}

/**
 * Turns a tfjs initializer object into its serialized form, which core's resolveInitializer
 * reads; names and core configs pass through unchanged.
 */
function toInitializerSpec(value: InitializerIdentifier | InitializerConfig | undefined): InitializerSpec | undefined {
  if (typeof value === 'object' && value !== null && typeof (value as TfjsInitializer).getClassName === 'function') {
    const initializer = value as TfjsInitializer;
    return { className: initializer.getClassName(), config: initializer.getConfig() };
  }
  return value as InitializerSpec | undefined;
}

/**
 * An initializer for addWeight that returns the values of `draw()`. addWeight only calls
 * `apply`, and during model loading it skips the initializer altogether.
 */
function factorInitializer(draw: () => Matrix): TfjsInitializer {
  const initializer = {
    apply: (shape: number[]): tf.Tensor => tf.tensor(draw().toFloat32Array(), shape, 'float32'),
  };
  return initializer as unknown as TfjsInitializer;
}
