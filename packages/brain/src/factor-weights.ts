import { layer } from 'brain.js';

import type { BrainLayerSettings, FactorRole, FactorWeightsRecord, LayerJSON } from './brain-types.js';
import type { FactorizedLayer } from './factorized-layer.js';

/** The `type` that the JSON of a factor layer carries, and that `feedForwardFromJSON` looks for. */
export const FACTOR_WEIGHTS_TYPE = 'FactorWeights';

/** Settings of one factor layer. */
export interface FactorWeightsSettings extends BrainLayerSettings {
  /** Rows of the stored matrix (see FactorWeights for which matrix each role stores). */
  height: number;
  /** Columns of the stored matrix. */
  width: number;
  /** Id of the factorized layer and the role of this factor in it. */
  factorization: Pick<FactorWeightsRecord, 'layer' | 'role'>;
}

/**
 * One factor of a factorized layer, trained by brain.js like its own `random` weight layers (it
 * extends layer.Random, so FeedForward gives it a praxis and calls its `learn`).
 *
 * brain.js multiplies a weight of shape [out, in] from the left onto a column input, while core
 * writes the kernel as W = U·V (or U·M·V) of shape [in, out]. A factor layer therefore stores
 * the transpose of its core factor: role 'left' stores Uᵀ (rank × in), 'middle' stores Mᵀ
 * (rank × rank) and 'right' stores Vᵀ (out × rank), and the layer computes Vᵀ·(Mᵀ·(Uᵀ·x)) = Wᵀ·x.
 *
 * Regularization hooks into `compare`, the backward step. brain.js calls every layer's
 * `compare` before any layer's `learn`, and by then a weight layer's `deltas` contain the loss
 * gradient. So the factorized layer adds the Frobenius-decay and weight-decay gradients of the
 * factors there, computed from the weights of the current step, and the praxis gets the sum.
 * This is L2 coupled to the optimizer, as PyTorch's `weight_decay` is.
 */
export class FactorWeights extends layer.Random {
  readonly role: FactorRole;
  /** Id of the factorized layer this factor belongs to. */
  readonly layerId: string;
  /** The factorized layer, set when it links its factors. */
  factorizedLayer: FactorizedLayer | null;

  constructor(settings: FactorWeightsSettings) {
    super(settings);
    this.role = settings.factorization.role;
    this.layerId = settings.factorization.layer;
    this.factorizedLayer = null;
  }

  /** Adds the gradients of the layer's Frobenius decay and weight decay to `deltas`. */
  override compare(): void {
    this.factorizedLayer?.addRegularizerGradient(this);
  }

  /** Writes brain.js' layer JSON with type 'FactorWeights' and the factorization record. */
  override toJSON(): LayerJSON & { factorization: FactorWeightsRecord } {
    const base = super.toJSON();
    return {
      ...base,
      type: FACTOR_WEIGHTS_TYPE,
      factorization: {
        layer: this.layerId,
        role: this.role,
        frobeniusDecay: this.factorizedLayer?.frobeniusDecay ?? 0,
        weightDecay: this.factorizedLayer?.weightDecay ?? 0,
      },
    };
  }
}
