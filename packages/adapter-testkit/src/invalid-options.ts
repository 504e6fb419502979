import type { FactorizationOptions } from '@factorized/core';
import { formatValue } from '@factorized/core';

/** One invalid option that every adapter must reject when a layer is built. */
export interface InvalidOptionCase {
  /** The option the error message must name, as a whole word. */
  option: keyof FactorizationOptions;
  /** The invalid value, which the message must show. */
  value: unknown;
  /** Reason the value is invalid, part of the check's name. */
  reason: string;
  /** Options of the layer, the invalid one included; a valid rank is added where the case needs one. */
  options: FactorizationOptions;
}

/**
 * The invalid options every adapter rejects, for a layer of CHECK_INPUT_SIZE × CHECK_OUTPUT_SIZE
 * (12 × 7), so min(inputSize, outputSize) is 7.
 */
export const INVALID_OPTION_CASES: readonly InvalidOptionCase[] = [
  { option: 'rank', value: 0, reason: 'zero', options: { rank: 0 } },
  { option: 'rank', value: 2.5, reason: 'not an integer', options: { rank: 2.5 } },
  { option: 'rank', value: Number.NaN, reason: 'not a number', options: { rank: Number.NaN } },
  { option: 'rank', value: -3, reason: 'negative', options: { rank: -3 } },
  { option: 'rank', value: 8, reason: 'above min(in, out) without overcomplete', options: { rank: 8 } },
  { option: 'rankScale', value: 0, reason: 'zero', options: { rankScale: 0 } },
  { option: 'rankScale', value: -0.5, reason: 'negative', options: { rankScale: -0.5 } },
  {
    option: 'kernelInitializer',
    value: 'notAnInitializer',
    reason: 'unknown name',
    options: { rank: 3, kernelInitializer: 'notAnInitializer' as never },
  },
  { option: 'frobeniusDecay', value: -0.5, reason: 'negative', options: { rank: 3, frobeniusDecay: -0.5 } },
];

/**
 * Returns what an error for `testCase` lacks, or null when it is an Error whose message names
 * the option as a whole word and shows the value (as core's formatValue writes it, quotes
 * around strings optional).
 */
export function describeMissingDetails(error: unknown, testCase: InvalidOptionCase): string | null {
  if (!(error instanceof Error)) {
    return `it threw ${formatValue(error)}, which is not an Error`;
  }

  const { message } = error;
  const missing: string[] = [];
  if (!containsToken(message, testCase.option)) {
    missing.push(`the option name "${testCase.option}"`);
  }

  const valueText = typeof testCase.value === 'string' ? testCase.value : formatValue(testCase.value);
  if (!containsToken(message, valueText)) {
    missing.push(`the value ${valueText}`);
  }

  return missing.length === 0 ? null : `its message "${message}" does not show ${missing.join(' or ')}`;
}

/**
 * Tells whether `text` occurs in `message` as a token of its own: not inside a longer word or
 * number, so "rank" does not match "rankScale" and "0" does not match "0.5" or "10".
 */
function containsToken(message: string, text: string): boolean {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${escaped}(?![\\w]|\\.\\d)`).test(message);
}
