import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@factorized/core';
import { CLASS_COUNT } from './mnist.js';
import type { MnistSplit } from './mnist.js';
import { randomPermutation } from './permutation.js';

/** Optimizer and schedule of one training run. */
export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  learningRateDecay: number;
  learningRateMilestones: readonly number[];
  momentum: number;
  /** Seed of the batch order. */
  seed: number;
}

/** State of a run after a batch, for progress bars. Loss and accuracy are running means over the epoch so far. */
export interface BatchProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  /** Validation accuracy after the last finished epoch, if any. */
  validationAccuracy?: number;
}

/** Metrics of one finished epoch. */
export interface EpochRecord {
  epoch: number;
  learningRate: number;
  /** Mean training loss over the epoch, penalties included. */
  loss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  seconds: number;
}

/** Callbacks of a training run. `shouldStop` is read between batches. */
export interface TrainingHooks {
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  shouldStop?: () => boolean;
}

/** Outcome of a training run. */
export interface TrainingOutcome {
  /** `shouldStop` returned true; the model is only partly trained. */
  stopped: boolean;
  /** The loss became NaN or infinite; training ended at that batch. */
  diverged: boolean;
  history: EpochRecord[];
  seconds: number;
}

/**
 * Returns the learning rate of a 0-based epoch under step decay: the initial rate times
 * `learningRateDecay` once for every milestone m with epoch ≥ round(m · epochs). With the
 * default milestones 0.5 and 0.75 and 20 epochs the rate drops ×0.1 before epochs 10 and 15.
 */
export function learningRateAt(epoch: number, settings: Pick<TrainingSettings, 'epochs' | 'learningRate' | 'learningRateDecay' | 'learningRateMilestones'>): number {
  const passed = settings.learningRateMilestones.filter((milestone) => epoch >= Math.round(milestone * settings.epochs)).length;
  return settings.learningRate * settings.learningRateDecay ** passed;
}

/**
 * Trains `model` (logits out) with SGD with momentum on softmax cross-entropy plus the model's
 * regularization losses (the kernel regularizers and any penalty a layer adds), with step
 * learning-rate decay, and evaluates validation accuracy after every epoch.
 *
 * Batches are drawn in a fresh random order every epoch from `settings.seed`, so equal seeds
 * give equal runs on the same backend. Between batches the function yields to the event loop,
 * so signal handlers and worker messages run, and returns early with `stopped: true` when
 * `hooks.shouldStop` returns true.
 */
export async function trainModel(
  model: tf.LayersModel,
  train: MnistSplit,
  validation: MnistSplit,
  settings: TrainingSettings,
  hooks: TrainingHooks = {},
): Promise<TrainingOutcome> {
  const optimizer = tf.train.momentum(settings.learningRate, settings.momentum);
  const random = new SeededRandom(settings.seed);
  const batches = Math.ceil(train.count / settings.batchSize);
  const inputShape = modelInputShape(model);
  const history: EpochRecord[] = [];
  const started = performance.now();
  let validationAccuracy: number | undefined;

  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const epochStarted = performance.now();
      const learningRate = learningRateAt(epoch, settings);
      optimizer.setLearningRate(learningRate);
      const order = randomPermutation(train.count, random);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;

      for (let batch = 0; batch < batches; batch++) {
        if (hooks.shouldStop?.() === true) {
          return { stopped: true, diverged: false, history, seconds: elapsedSeconds(started) };
        }

        const indices = order.subarray(batch * settings.batchSize, Math.min((batch + 1) * settings.batchSize, train.count));
        const step = trainStep(model, optimizer, train, indices, inputShape);
        if (!Number.isFinite(step.loss)) {
          return { stopped: false, diverged: true, history, seconds: elapsedSeconds(started) };
        }

        lossSum += step.loss * indices.length;
        correct += step.correct;
        seen += indices.length;
        hooks.onBatch?.({
          epoch: epoch + 1,
          epochs: settings.epochs,
          batch: batch + 1,
          batches,
          loss: lossSum / seen,
          trainAccuracy: correct / seen,
          learningRate,
          validationAccuracy,
        });
        // NOTE: training is synchronous on the wasm and cpu backends. Without this yield, a SIGINT
        // handler or a worker's stop message would run only after the whole run.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }

      validationAccuracy = evaluateAccuracy(model, validation);
      const record: EpochRecord = {
        epoch: epoch + 1,
        learningRate,
        loss: lossSum / seen,
        trainAccuracy: correct / seen,
        validationAccuracy,
        seconds: elapsedSeconds(epochStarted),
      };
      history.push(record);
      hooks.onEpoch?.(record);
    }
  } finally {
    optimizer.dispose();
    // NOTE: MomentumOptimizer.dispose of tfjs-core 4.22 frees its accumulators but not the
    // learning-rate scalar of its SGDOptimizer base; this frees that one too.
    tf.SGDOptimizer.prototype.dispose.call(optimizer);
  }

  return { stopped: false, diverged: false, history, seconds: elapsedSeconds(started) };
}

/**
 * Returns the fraction of `split` whose largest logit is the true class, with the model in
 * inference mode (batch normalization uses its moving statistics). Runs in batches of
 * `batchSize` images to bound memory.
 */
export function evaluateAccuracy(model: tf.LayersModel, split: MnistSplit, batchSize = 1000): number {
  if (split.count === 0) {
    return Number.NaN;
  }

  const inputShape = modelInputShape(model);
  const pixels = inputShape.reduce((product, size) => product * size, 1);
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(start + batchSize, split.count);
    const batchCorrect = tf.tidy(() => {
      const images = tf.tensor(split.images.slice(start * pixels, end * pixels), [end - start, ...inputShape]);
      const labels = tf.tensor1d(Int32Array.from(split.labels.subarray(start, end)), 'int32');
      const logits = model.predict(images) as tf.Tensor;
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
    });
    correct += (batchCorrect.dataSync() as Int32Array)[0];
    batchCorrect.dispose();
  }
  return correct / split.count;
}

interface StepResult {
  loss: number;
  correct: number;
}

function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  train: MnistSplit,
  indices: Uint32Array,
  inputShape: number[],
): StepResult {
  const pixels = inputShape.reduce((product, size) => product * size, 1);
  const batchImages = new Float32Array(indices.length * pixels);
  const batchLabels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    batchImages.set(train.images.subarray(indices[i] * pixels, (indices[i] + 1) * pixels), i * pixels);
    batchLabels[i] = train.labels[indices[i]];
  }

  let correctTensor: tf.Scalar | undefined;
  const lossTensor = tf.tidy(() => {
    const images = tf.tensor(batchImages, [indices.length, ...inputShape]);
    const labels = tf.tensor1d(batchLabels, 'int32');
    const targets = tf.oneHot(labels, CLASS_COUNT);

    return optimizer.minimize(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor;
      correctTensor = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
      const dataLoss = tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(targets, logits);
      return tf.addN<tf.Scalar>([dataLoss, ...model.calculateLosses()]);
    }, true) as tf.Scalar;
  });

  const loss = lossTensor.dataSync()[0];
  lossTensor.dispose();
  const correct = correctTensor === undefined ? 0 : correctTensor.dataSync()[0];
  correctTensor?.dispose();
  return { loss, correct };
}

function modelInputShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((size) => size === null)) {
    throw new Error(`The model's input shape [${model.inputs[0].shape.join(', ')}] has unknown sizes; it needs fixed sizes.`);
  }
  return shape as number[];
}

function elapsedSeconds(since: number): number {
  return (performance.now() - since) / 1000;
}
