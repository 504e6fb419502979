import type { FeedForward, layer } from 'brain.js';

/** A layer of brain.js' layer API (2.0.0-beta.24). */
export type BrainLayer = layer.ILayer;

/** The settings object that brain.js layers are built from. */
export type BrainLayerSettings = layer.ILayerSettings;

/**
 * Options of the praxis (optimizer) that trains one weight layer, as brain.js' `praxisOpts`:
 * the settings of brain.js' default praxis, MomentumRootMeanSquaredPropagation (defaults
 * learningRate 0.01, decayRate 0.999, regularizationStrength 1e-6, smoothEps 1e-8, clipValue 5),
 * or those of another praxis.
 */
export type PraxisOptions = NonNullable<layer.ILayerSettings['praxisOpts']> & {
  learningRate?: number;
  decayRate?: number;
  regularizationStrength?: number;
  smoothEps?: number;
  clipValue?: number;
  [setting: string]: unknown;
};

/** A brain.js FeedForward network with array input and output. */
export type BrainFeedForward = FeedForward;

/**
 * One layer of a FeedForward JSON: brain.js' ILayerJSON with the links to its input layers
 * that FeedForward.toJSON adds, and the factorization record of factor layers.
 */
export interface LayerJSON extends layer.ILayerJSON {
  factorization?: FactorWeightsRecord;
}

/** The JSON of a FeedForward network as FeedForward.toJSON writes it. */
export interface FeedForwardJSON {
  type: string;
  sizes: number[];
  layers: LayerJSON[];
  inputLayerIndex: number;
  outputLayerIndex: number;
}

/** Position of the factor that a factor layer contains in U·V or U·M·V. */
export type FactorRole = 'left' | 'middle' | 'right';

/**
 * Fields that the JSON of a factor layer records besides its weights, so the factorized layer
 * can be rebuilt from it.
 */
export interface FactorWeightsRecord {
  /** Id of the factorized layer, shared by its two or three factor layers. */
  layer: string;
  role: FactorRole;
  frobeniusDecay: number;
  weightDecay: number;
}
