import * as tf from '@tensorflow/tfjs';
import type { Architecture } from './architecture.js';
import { collapseFactorizedModel } from './collapse.js';
import type { ExperimentConfig, RunName } from './config.js';
import type { MnistData } from './mnist.js';
import { buildModel } from './models.js';
import type { JobResult } from './report.js';
import type { RunDefinition } from './runs.js';
import type { TrainingHooks } from './train.js';
import { evaluateAccuracy, trainModel } from './train.js';

/** One training run with one seed. */
export interface JobSpec {
  run: RunName;
  seed: number;
}

/** Inputs shared by every job of an experiment. */
export interface JobContext {
  config: ExperimentConfig;
  architecture: Architecture;
  definitions: Partial<Record<RunName, RunDefinition>>;
  data: MnistData;
}

/** A finished job: its metrics and, for factorized runs, its collapsed model as TensorFlow.js model artifacts. */
export interface JobOutput {
  result: JobResult;
  /** model.json topology, weight specs and weight data of the collapsed plain model. */
  collapsedModel?: tf.io.ModelArtifacts;
}

/**
 * Builds the model of `spec.run` from scratch with seed `spec.seed`, trains it, evaluates it on
 * the validation and test splits and, for factorized runs, collapses it into a plain model and
 * evaluates that too. Overcomplete KD reports the collapsed model's accuracy, the other runs
 * their own model's (the collapsed one agrees up to float32 rounding).
 *
 * Returns undefined when `hooks.shouldStop` stopped the training; the partial run is dropped.
 * Throws when the built model's parameter count differs from the plan's, which would make the
 * compression column wrong.
 */
export async function runJob(spec: JobSpec, context: JobContext, hooks: TrainingHooks = {}): Promise<JobOutput | undefined> {
  const { config, architecture, data } = context;
  const definition = context.definitions[spec.run];
  if (definition === undefined) {
    throw new Error(`Run "${spec.run}" is not defined in this experiment.`);
  }

  const model = buildModel(architecture, definition.variant, { seed: spec.seed, weightDecay: config.weightDecay });
  try {
    if (model.countParams() !== definition.trainedParameters) {
      throw new Error(
        `${definition.label}: the built model has ${model.countParams()} parameters, the plan expected ${definition.trainedParameters}.`,
      );
    }

    const outcome = await trainModel(
      model,
      data.train,
      data.validation,
      {
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        learningRateDecay: config.learningRateDecay,
        learningRateMilestones: config.learningRateMilestones,
        momentum: config.momentum,
        seed: spec.seed,
      },
      hooks,
    );
    if (outcome.stopped) {
      return undefined;
    }

    const result: JobResult = {
      run: spec.run,
      seed: spec.seed,
      parameters: definition.parameters,
      trainedParameters: definition.trainedParameters,
      validationAccuracy: evaluateAccuracy(model, data.validation),
      testAccuracy: evaluateAccuracy(model, data.test),
      diverged: outcome.diverged,
      trainingSeconds: outcome.seconds,
      history: outcome.history,
    };

    const factorized = Object.values(definition.variant.ranks).some((rank) => rank !== null);
    if (!factorized) {
      return { result };
    }

    const collapsed = collapseFactorizedModel(model);
    try {
      const collapsedValidation = evaluateAccuracy(collapsed, data.validation);
      const collapsedTest = evaluateAccuracy(collapsed, data.test);
      result.collapsedTestAccuracy = collapsedTest;
      if (definition.evaluateCollapsed) {
        result.factorizedTestAccuracy = result.testAccuracy;
        result.validationAccuracy = collapsedValidation;
        result.testAccuracy = collapsedTest;
      }
      return { result, collapsedModel: await modelArtifacts(collapsed) };
    } finally {
      collapsed.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** Serializes a model into TensorFlow.js model artifacts in memory, for saving elsewhere (another thread, later). */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      captured = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (captured === undefined) {
    throw new Error('model.save did not hand over the model artifacts.');
  }
  return captured;
}
