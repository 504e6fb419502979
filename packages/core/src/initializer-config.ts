import {
  checkFinite,
  checkKnownKeys,
  checkPlainObject,
  checkPositive,
  checkSeed,
} from './argument-checks.js';
import { InvalidArgumentError } from './errors.js';

/** Canonical initializer names, spelled as TensorFlow.js spells them (except `lecun*`, see resolveInitializer). */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'lecunNormal'
  | 'truncatedNormal'
  | 'randomNormal'
  | 'randomUniform'
  | 'orthogonal'
  | 'varianceScaling'
  | 'zeros'
  | 'ones';

/** The fan a variance-scaling initializer divides by: fanIn, fanOut or their mean. */
export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';

/**
 * Distribution of a variance-scaling initializer. Both normal forms have variance scale / n:
 * `truncatedNormal` cuts at two standard deviations and widens its stddev to make up for the
 * cut, `untruncatedNormal` is a plain normal.
 */
export type VarianceScalingDistribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

/**
 * An initializer with its parameters. resolveInitializer returns it with every parameter of
 * that initializer filled in and no others; `seed` is present only when one was given.
 */
export interface InitializerConfig {
  name: InitializerName;
  /** varianceScaling: multiplier of the target variance, > 0 (default 1). */
  scale?: number;
  /** varianceScaling: the fan to divide by (default 'fanIn'). */
  mode?: FanMode;
  /** varianceScaling: the distribution (default 'truncatedNormal'). */
  distribution?: VarianceScalingDistribution;
  /** randomNormal, truncatedNormal: mean (default 0). */
  mean?: number;
  /** randomNormal, truncatedNormal: standard deviation before truncation, > 0 (default 0.05). */
  stddev?: number;
  /** randomUniform: lower bound, included (default −0.05). */
  minval?: number;
  /** randomUniform: upper bound, excluded (default 0.05). */
  maxval?: number;
  /** orthogonal: multiplier of the orthogonal matrix, > 0 (default 1). */
  gain?: number;
  /** Seed of this initializer's own stream; see drawInitializer for how it combines with a caller's seed. */
  seed?: number;
}

/** The serialized form TensorFlow.js (`className`) and Keras (`class_name`) write for an initializer. */
export interface SerializedInitializer {
  className: string;
  config?: Record<string, unknown>;
}

/** Anything drawInitializer accepts: a name, a config object or a serialized initializer. */
export type InitializerSpec = InitializerName | InitializerConfig | SerializedInitializer;

/** The variance-scaling parameters behind each named shortcut, as Keras defines them. */
export const VARIANCE_SCALING_PRESETS: Readonly<
  Partial<
    Record<InitializerName, { scale: number; mode: FanMode; distribution: VarianceScalingDistribution }>
  >
> = {
  glorotUniform: { scale: 1, mode: 'fanAvg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal' },
  heUniform: { scale: 2, mode: 'fanIn', distribution: 'uniform' },
  heNormal: { scale: 2, mode: 'fanIn', distribution: 'truncatedNormal' },
  lecunUniform: { scale: 1, mode: 'fanIn', distribution: 'uniform' },
  lecunNormal: { scale: 1, mode: 'fanIn', distribution: 'truncatedNormal' },
};

/** Every canonical initializer name, in a fixed order (used in error messages). */
export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'truncatedNormal',
  'randomNormal',
  'randomUniform',
  'orthogonal',
  'varianceScaling',
  'zeros',
  'ones',
];

const PARAMETERS: Record<InitializerName, readonly (keyof InitializerConfig)[]> = {
  glorotUniform: ['seed'],
  glorotNormal: ['seed'],
  heUniform: ['seed'],
  heNormal: ['seed'],
  lecunUniform: ['seed'],
  lecunNormal: ['seed'],
  truncatedNormal: ['mean', 'stddev', 'seed'],
  randomNormal: ['mean', 'stddev', 'seed'],
  randomUniform: ['minval', 'maxval', 'seed'],
  orthogonal: ['gain', 'seed'],
  varianceScaling: ['scale', 'mode', 'distribution', 'seed'],
  zeros: [],
  ones: [],
};

// Keras' aliases: 'normal' and 'uniform' are RandomNormal and RandomUniform, 'one' and 'zero'
// are Ones and Zeros, and the orthogonal class is also exported as OrthogonalInitializer.
const ALIASES: Readonly<Record<string, InitializerName>> = {
  normal: 'randomNormal',
  uniform: 'randomUniform',
  one: 'ones',
  zero: 'zeros',
  orthogonalinitializer: 'orthogonal',
};

const MODES: Readonly<Record<string, FanMode>> = {
  fanIn: 'fanIn',
  fan_in: 'fanIn',
  fanOut: 'fanOut',
  fan_out: 'fanOut',
  fanAvg: 'fanAvg',
  fan_avg: 'fanAvg',
};

// NOTE: 'normal' means the truncated normal, as in Keras (which renames it) and TensorFlow.js
// (which draws a truncated normal for it).
const DISTRIBUTIONS: Readonly<Record<string, VarianceScalingDistribution>> = {
  truncatedNormal: 'truncatedNormal',
  truncated_normal: 'truncatedNormal',
  normal: 'truncatedNormal',
  untruncatedNormal: 'untruncatedNormal',
  untruncated_normal: 'untruncatedNormal',
  uniform: 'uniform',
};

/**
 * Reads an initializer from any of the spellings TensorFlow.js and Keras use and returns its
 * canonical config with validated parameters and Keras' defaults filled in.
 *
 * Accepted forms:
 * - a name in TensorFlow.js camelCase ('glorotUniform', 'leCunNormal'), Keras snake_case
 *   ('glorot_uniform', 'lecun_normal') or class form ('GlorotUniform', 'VarianceScaling'), and
 *   Keras' aliases 'normal', 'uniform', 'zero', 'one'. Matching ignores case and underscores.
 * - a config object `{ name, ...parameters }`.
 * - a serialized object `{ className, config }` (TensorFlow.js) or `{ class_name, config }` (Keras,
 *   which may add `module` and `registered_name`).
 *
 * Parameter values follow the same rules in every form: `mode` accepts 'fanIn' or 'fan_in' etc.,
 * `distribution` accepts 'truncatedNormal', 'untruncatedNormal', 'uniform', their snake_case forms
 * and 'normal' (= truncated normal). A `seed` of null counts as absent.
 *
 * Throws InvalidArgumentError naming `argument` for an unknown name (the message lists the valid
 * names), an option the initializer does not take, or an invalid value: stddev, scale or gain
 * not > 0, minval not < maxval, a non-finite number, or a seed that is not a safe integer.
 */
export function resolveInitializer(spec: unknown, argument = 'initializer'): InitializerConfig {
  if (typeof spec === 'string') {
    return withDefaults(lookUpName(argument, spec), {}, argument);
  }

  checkPlainObject(argument, spec);

  if ('className' in spec || 'class_name' in spec) {
    const classKey = 'className' in spec ? 'className' : 'class_name';
    checkKnownKeys(argument, spec, [classKey, 'config', 'module', 'registered_name']);
    const className = spec[classKey];
    if (typeof className !== 'string') {
      throw new InvalidArgumentError(
        `${argument}.${classKey}`,
        className,
        'an initializer class name string',
      );
    }

    const config = spec.config ?? {};
    checkPlainObject(`${argument}.config`, config);
    return withDefaults(lookUpName(`${argument}.${classKey}`, className), config, `${argument}.config`);
  }

  const { name, ...parameters } = spec;
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(
      `${argument}.name`,
      name,
      `an initializer name, one of ${INITIALIZER_NAMES.map((known) => `'${known}'`).join(', ')}`,
    );
  }
  return withDefaults(lookUpName(`${argument}.name`, name), parameters, argument);
}

function lookUpName(argument: string, name: string): InitializerName {
  const key = name.replace(/_/g, '').toLowerCase();
  const found =
    INITIALIZER_NAMES.find((known) => known.toLowerCase() === key) ??
    (Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined);
  if (found === undefined) {
    throw new InvalidArgumentError(
      argument,
      name,
      `an initializer name, one of ${INITIALIZER_NAMES.map((known) => `'${known}'`).join(', ')} ` +
        `(Keras snake_case and class names such as 'glorot_uniform' or 'GlorotUniform' work too)`,
    );
  }
  return found;
}

function withDefaults(
  name: InitializerName,
  parameters: Record<string, unknown>,
  argument: string,
): InitializerConfig {
  checkKnownKeys(argument, parameters, PARAMETERS[name]);
  const config: InitializerConfig = { name };

  switch (name) {
    case 'truncatedNormal':
    case 'randomNormal': {
      config.mean = readNumber(argument, parameters, 'mean', 0);
      config.stddev = readNumber(argument, parameters, 'stddev', 0.05);
      checkPositive(`${argument}.stddev`, config.stddev);
      break;
    }
    case 'randomUniform': {
      const minval = readNumber(argument, parameters, 'minval', -0.05);
      const maxval = readNumber(argument, parameters, 'maxval', 0.05);
      if (!(minval < maxval)) {
        throw new InvalidArgumentError(
          `${argument}.maxval`,
          maxval,
          `a number greater than minval (${minval})`,
        );
      }
      config.minval = minval;
      config.maxval = maxval;
      break;
    }
    case 'orthogonal': {
      config.gain = readNumber(argument, parameters, 'gain', 1);
      checkPositive(`${argument}.gain`, config.gain);
      break;
    }
    case 'varianceScaling': {
      config.scale = readNumber(argument, parameters, 'scale', 1);
      checkPositive(`${argument}.scale`, config.scale);
      config.mode = readChoice(argument, parameters, 'mode', MODES, 'fanIn');
      config.distribution = readChoice(
        argument,
        parameters,
        'distribution',
        DISTRIBUTIONS,
        'truncatedNormal',
      );
      break;
    }
    default:
      break;
  }

  const seed = parameters.seed;
  if (seed !== undefined && seed !== null) {
    checkSeed(`${argument}.seed`, seed);
    config.seed = seed;
  }
  return config;
}

function readNumber(
  argument: string,
  parameters: Record<string, unknown>,
  key: string,
  fallback: number,
): number {
  const value = parameters[key] ?? fallback;
  checkFinite(`${argument}.${key}`, value);
  return value;
}

function readChoice<T extends string>(
  argument: string,
  parameters: Record<string, unknown>,
  key: string,
  choices: Readonly<Record<string, T>>,
  fallback: T,
): T {
  const value = parameters[key] ?? fallback;
  const choice = typeof value === 'string' && Object.hasOwn(choices, value) ? choices[value] : undefined;
  if (choice === undefined) {
    throw new InvalidArgumentError(
      `${argument}.${key}`,
      value,
      `one of ${Object.keys(choices)
        .map((known) => `'${known}'`)
        .join(', ')}`,
    );
  }
  return choice;
}
