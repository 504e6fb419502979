/** Model family of an experiment. */
export type ModelKind = 'mlp' | 'cnn';

/** A TensorFlow.js backend the experiment can train on. */
export type BackendName = 'wasm' | 'cpu' | 'node';

/** The backend flag: a backend, or `auto` for the fastest one installed. */
export type BackendChoice = 'auto' | BackendName;

/** Name of a preset: `demo` fits in a few minutes, `full` is the longer protocol. */
export type PresetName = 'demo' | 'full';

/**
 * The training runs of the experiment, in table order. First the dense baseline and low-rank
 * training with standard initialization and per-factor weight decay. Then the same with
 * spectral initialization (SI), with Frobenius decay (FD) instead of weight decay, and with
 * both. Last overcomplete knowledge distillation: an overcomplete factorized twin trained with
 * FD, then collapsed into a dense model.
 */
export const RUN_NAMES = ['dense', 'low-rank', 'low-rank+SI', 'low-rank+FD', 'low-rank+SI+FD', 'overcomplete-KD'] as const;

/** One of {@link RUN_NAMES}. */
export type RunName = (typeof RUN_NAMES)[number];

/** Every setting of one experiment; the command line fills it from a preset and the flags. */
export interface ExperimentConfig {
  preset: PresetName;
  model: ModelKind;
  /** MLP: units of each hidden layer. CNN: filters of the first conv layer (the second has twice as many). */
  width: number;
  /** Target parameters of each low-rank model as a fraction of the dense model's, in (0, 1]. */
  ratio: number;
  epochs: number;
  /** Number of seeds; run i uses seed firstSeed + i for its initialization and batch order. */
  seeds: number;
  firstSeed: number;
  /** Seed of the train/validation/test draws, the same for every run. */
  dataSeed: number;
  trainSize: number;
  validationSize: number;
  testSize: number;
  batchSize: number;
  /** Initial SGD learning rate. */
  learningRate: number;
  /** Factor applied to the learning rate at each milestone. */
  learningRateDecay: number;
  /** Fractions of the epochs, ascending in (0, 1), at which the learning rate is multiplied by learningRateDecay. */
  learningRateMilestones: number[];
  momentum: number;
  /** λ of coupled weight decay, PyTorch convention: penalty (λ/2)‖W‖², gradient λW. Also the FD coefficient. */
  weightDecay: number;
  /** Rank scale of the overcomplete twin: rank = scale · min(rows, columns), above 1. */
  overcompleteScale: number;
  runs: RunName[];
  backend: BackendName;
  /** Training runs executed at once, each in its own worker thread when above 1. */
  workers: number;
  /** Folder of the output files. */
  out: string;
}

/** The settings a preset fixes for one model family; flags override each of them. */
export type PresetSettings = Pick<
  ExperimentConfig,
  'width' | 'epochs' | 'seeds' | 'trainSize' | 'validationSize' | 'testSize' | 'batchSize' | 'learningRate'
>;

/**
 * Preset settings per model family. The demo preset is sized so that `npm run demo` (build
 * plus all six runs) ends within 5 minutes on 2 cores with the wasm backend and 2 workers.
 * The full preset is sized so that the whole protocol (full training set, 3 seeds) ends within
 * 2 hours there. Both were sized from timed epochs, which the README lists.
 */
export const PRESETS: Record<PresetName, Record<ModelKind, PresetSettings>> = {
  demo: {
    mlp: {
      width: 256,
      epochs: 6,
      seeds: 1,
      trainSize: 8_000,
      validationSize: 2_000,
      testSize: 10_000,
      batchSize: 128,
      learningRate: 0.05,
    },
    cnn: {
      width: 8,
      epochs: 3,
      seeds: 1,
      trainSize: 5_000,
      validationSize: 1_000,
      testSize: 10_000,
      batchSize: 64,
      learningRate: 0.05,
    },
  },
  full: {
    mlp: {
      width: 256,
      epochs: 15,
      seeds: 3,
      trainSize: 55_000,
      validationSize: 5_000,
      testSize: 10_000,
      batchSize: 128,
      learningRate: 0.05,
    },
    cnn: {
      width: 8,
      epochs: 10,
      seeds: 3,
      trainSize: 55_000,
      validationSize: 5_000,
      testSize: 10_000,
      batchSize: 64,
      learningRate: 0.05,
    },
  },
};

/** Settings that no preset changes. */
export const COMMON_DEFAULTS = {
  ratio: 0.1,
  firstSeed: 1,
  dataSeed: 0,
  learningRateDecay: 0.1,
  learningRateMilestones: [0.5, 0.75],
  momentum: 0.9,
  weightDecay: 5e-4,
  overcompleteScale: 3,
  out: './results',
} as const;
