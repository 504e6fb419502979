import type { SeededRandom } from '@factorized/core';

/**
 * Returns a uniformly random permutation of 0 … count − 1 (Fisher–Yates), reproducible from the
 * state of `random`. Used for the validation split and for the order of every training epoch.
 */
export function randomPermutation(count: number, random: SeededRandom): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    order[i] = i;
  }

  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random.nextUniform() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
