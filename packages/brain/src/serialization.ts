import { InvalidArgumentError, UnsupportedError } from '@factorized/core';
import { FeedForward } from 'brain.js';

import type {
  BrainFeedForward,
  BrainLayer,
  FactorRole,
  FactorWeightsRecord,
  FeedForwardJSON,
  LayerJSON,
} from './brain-types.js';
import { COLUMN_TARGET_TYPE, ColumnTarget } from './column-target.js';
import { FACTOR_WEIGHTS_TYPE, FactorWeights } from './factor-weights.js';
import { FactorizedLayer } from './factorized-layer.js';
import { checkFeedForward, factorizedLayers } from './network-layers.js';
import { readBrainRows } from './weight-layout.js';

const roles: readonly FactorRole[] = ['left', 'middle', 'right'];

/**
 * Writes `net` as plain JSON that shares no arrays with the network, initializing the network
 * first when it has no layers yet. The format is FeedForward.toJSON's: layers with their weights
 * and the indices of their inputs. Each factor layer has type 'FactorWeights' and a
 * `factorization` record with the layer id, its role and the decay coefficients.
 *
 * The state of the praxis (brain.js' optimizer, such as RMSProp's running averages) is not
 * written, as brain.js does not write it either. Throws InvalidArgumentError when two
 * factorized layers share an id.
 */
export function feedForwardToJSON(net: BrainFeedForward): FeedForwardJSON {
  checkFeedForward('net', net);
  factorizedLayers(net);
  return JSON.parse(JSON.stringify(net.toJSON())) as FeedForwardJSON;
}

/**
 * Rebuilds a FeedForward network from the JSON of `feedForwardToJSON` or of brain.js' own
 * FeedForward.toJSON, with its factorized layers linked and regularized as before, initialized
 * so that `run` works at once. Outputs equal those of the saved network bit for bit, because
 * the JSON contains the float32 weights exactly.
 *
 * brain.js 2.0.0-beta.24's own FeedForward.fromJSON skips `initialize()`, so its `run` throws
 * "not initialized", and it cannot build factor layers; this function does both.
 *
 * Throws InvalidArgumentError for malformed JSON or factor records, and UnsupportedError for a
 * layer type that is not brain.js', 'FactorWeights' or 'ColumnTarget'.
 */
export function feedForwardFromJSON(json: FeedForwardJSON): BrainFeedForward {
  checkFeedForwardJSON(json);
  const factors: LoadedFactor[] = [];

  const getLayer = (layerJSON: LayerJSON, inputLayer?: BrainLayer): BrainLayer => {
    if (layerJSON.type === COLUMN_TARGET_TYPE && inputLayer !== undefined) {
      return new ColumnTarget({ height: layerJSON.height, width: layerJSON.width }, inputLayer);
    }
    if (layerJSON.type !== FACTOR_WEIGHTS_TYPE) {
      throw new UnsupportedError(
        `Layer type ${JSON.stringify(layerJSON.type)} is not a layer of brain.js 2.0.0-beta.24, ` +
          `'${FACTOR_WEIGHTS_TYPE}' or '${COLUMN_TARGET_TYPE}'.`,
      );
    }
    const loaded = factorWeightsFromJSON(layerJSON, json.layers.indexOf(layerJSON));
    factors.push(loaded);
    return loaded.factor;
  };

  const net = FeedForward.fromJSON(json, getLayer);
  linkFactors(factors);
  net.initialize();
  return net;
}

function checkFeedForwardJSON(json: unknown): asserts json is FeedForwardJSON {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidArgumentError('json', json, 'the JSON of a FeedForward network');
  }

  const { layers, inputLayerIndex, outputLayerIndex } = json as Partial<FeedForwardJSON>;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError('json.layers', layers, 'a non-empty array of layer JSON');
  }
  layers.forEach((layerJSON: unknown, index) => {
    if (typeof layerJSON !== 'object' || layerJSON === null || typeof (layerJSON as LayerJSON).type !== 'string') {
      throw new InvalidArgumentError(`json.layers[${index}]`, layerJSON, 'a layer JSON with a string type');
    }
  });
  for (const [name, index] of [
    ['inputLayerIndex', inputLayerIndex],
    ['outputLayerIndex', outputLayerIndex],
  ] as const) {
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= layers.length) {
      throw new InvalidArgumentError(`json.${name}`, index, `an index of json.layers, 0 to ${layers.length - 1}`);
    }
  }
}

interface LoadedFactor {
  factor: FactorWeights;
  record: FactorWeightsRecord;
}

function factorWeightsFromJSON(layerJSON: LayerJSON, index: number): LoadedFactor {
  const argument = `json.layers[${index}]`;
  const record = checkFactorRecord(`${argument}.factorization`, layerJSON.factorization);
  const { width, height } = layerJSON;
  for (const [name, size] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      throw new InvalidArgumentError(`${argument}.${name}`, size, 'a positive integer');
    }
  }

  const rows = readBrainRows(`${argument}.weights`, layerJSON.weights, height as number, width as number);
  const factor = new FactorWeights({
    height: height as number,
    width: width as number,
    weights: rows.map((row) => Float32Array.from(row)),
    praxisOpts: layerJSON.praxisOpts ?? null,
    factorization: { layer: record.layer, role: record.role },
  });
  return { factor, record };
}

function checkFactorRecord(argument: string, record: unknown): FactorWeightsRecord {
  if (typeof record !== 'object' || record === null) {
    throw new InvalidArgumentError(argument, record, 'an object { layer, role, frobeniusDecay, weightDecay }');
  }

  const { layer: layerId, role, frobeniusDecay, weightDecay } = record as Partial<FactorWeightsRecord>;
  if (typeof layerId !== 'string' || layerId.length === 0) {
    throw new InvalidArgumentError(`${argument}.layer`, layerId, 'the non-empty id of a factorized layer');
  }
  if (!roles.includes(role as FactorRole)) {
    throw new InvalidArgumentError(`${argument}.role`, role, "'left', 'middle' or 'right'");
  }
  for (const [name, value] of [
    ['frobeniusDecay', frobeniusDecay],
    ['weightDecay', weightDecay],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`${argument}.${name}`, value, 'a finite number ≥ 0');
    }
  }
  return record as FactorWeightsRecord;
}

/** Groups factor layers by layer id and links each group into a FactorizedLayer. */
function linkFactors(factors: readonly LoadedFactor[]): void {
  const groups = new Map<string, LoadedFactor[]>();
  for (const loaded of factors) {
    const group = groups.get(loaded.record.layer) ?? [];
    group.push(loaded);
    groups.set(loaded.record.layer, group);
  }

  for (const [id, group] of groups) {
    const argument = `factor records of layer "${id}"`;
    const byRole = (role: FactorRole): FactorWeights | undefined => {
      const matches = group.filter((loaded) => loaded.record.role === role);
      if (matches.length > 1) {
        throw new InvalidArgumentError(argument, `${matches.length} ${role} factors`, `one ${role} factor`);
      }
      return matches[0]?.factor;
    };

    const left = byRole('left');
    const middle = byRole('middle') ?? null;
    const right = byRole('right');
    if (left === undefined || right === undefined) {
      throw new InvalidArgumentError(
        argument,
        group.map((loaded) => loaded.record.role),
        'a left and a right factor, and at most one middle factor',
      );
    }

    const { frobeniusDecay, weightDecay } = group[0].record;
    for (const { record } of group) {
      if (record.frobeniusDecay !== frobeniusDecay || record.weightDecay !== weightDecay) {
        throw new InvalidArgumentError(
          argument,
          group.map((loaded) => ({
            frobeniusDecay: loaded.record.frobeniusDecay,
            weightDecay: loaded.record.weightDecay,
          })),
          'the same frobeniusDecay and weightDecay in every factor of the layer',
        );
      }
    }

    new FactorizedLayer({ id, left, middle, right, frobeniusDecay, weightDecay });
  }
}
