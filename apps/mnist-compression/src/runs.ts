import type { Architecture, FactorizationPlan } from './architecture.js';
import { overcompleteRanks, parameterCountWithRanks } from './architecture.js';
import type { RunName } from './config.js';

/** Build and regularization settings of the weight layers of one run's model. */
export interface ModelVariant {
  /** Rank of each weight layer by name; null builds a plain layer. */
  ranks: Record<string, number | null>;
  /** 'spectral': factors from the SVD of the plain layer's initial weight (SI). 'standard': each factor drawn on its own. */
  initialization: 'spectral' | 'standard';
  /**
   * 'weight-decay': (λ/2)‖W‖² on plain kernels and (λ/2)(‖U‖² + ‖V‖²) on factors.
   * 'frobenius-decay': (λ/2)‖UV‖² on factors (FD), weight decay on plain kernels.
   */
  regularization: 'weight-decay' | 'frobenius-decay';
  /** Ranks may exceed min(rows, columns). */
  overcomplete: boolean;
}

/** A run of the experiment: its model variant, what its table row is called, and whether its model is collapsed. */
export interface RunDefinition {
  name: RunName;
  /** Row label of the results table. */
  label: string;
  variant: ModelVariant;
  /** Parameters trained. */
  trainedParameters: number;
  /** Parameters of the model that is evaluated and kept: the collapsed one for overcomplete KD. */
  parameters: number;
  /** The reported accuracy is that of the collapsed model (factor products multiplied out into plain layers). */
  evaluateCollapsed: boolean;
}

/** Returns the model variant, labels and parameter counts of a run. */
export function defineRun(name: RunName, architecture: Architecture, plan: FactorizationPlan, overcompleteScale: number): RunDefinition {
  const lowRank = Object.fromEntries(plan.layers.map((layer) => [layer.name, layer.rank]));
  const dense = Object.fromEntries(plan.layers.map((layer) => [layer.name, null]));
  const lowRankRun = (label: string, initialization: ModelVariant['initialization'], regularization: ModelVariant['regularization']): RunDefinition => ({
    name,
    label,
    variant: { ranks: lowRank, initialization, regularization, overcomplete: false },
    trainedParameters: plan.parameters,
    parameters: plan.parameters,
    evaluateCollapsed: false,
  });

  switch (name) {
    case 'dense':
      return {
        name,
        label: 'dense',
        variant: { ranks: dense, initialization: 'standard', regularization: 'weight-decay', overcomplete: false },
        trainedParameters: plan.denseParameters,
        parameters: plan.denseParameters,
        evaluateCollapsed: false,
      };
    case 'low-rank':
      return lowRankRun('low-rank', 'standard', 'weight-decay');
    case 'low-rank+SI':
      return lowRankRun('low-rank + SI', 'spectral', 'weight-decay');
    case 'low-rank+FD':
      return lowRankRun('low-rank + FD', 'standard', 'frobenius-decay');
    case 'low-rank+SI+FD':
      return lowRankRun('low-rank + SI + FD', 'spectral', 'frobenius-decay');
    case 'overcomplete-KD': {
      const ranks = overcompleteRanks(plan, overcompleteScale);
      return {
        name,
        label: `overcomplete ×${overcompleteScale} + FD, collapsed`,
        variant: { ranks, initialization: 'standard', regularization: 'frobenius-decay', overcomplete: true },
        trainedParameters: parameterCountWithRanks(architecture, ranks),
        parameters: plan.denseParameters,
        evaluateCollapsed: true,
      };
    }
  }
}
