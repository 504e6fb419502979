import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

import { checkSeed } from './argument-checks.js';

const TWO_POW_32 = 2 ** 32;

/**
 * A seeded pseudorandom stream: xoroshiro128+ from pure-rand, uniform doubles with 53 random
 * bits and standard normals by Marsaglia's polar method.
 *
 * The same seed gives the same sequence. Uniform draws are integer arithmetic and match on every
 * JavaScript engine. NOTE: normal draws also go through Math.log, which the ECMAScript standard
 * lets engines round differently in the last bit.
 *
 * Every safe integer is a distinct seed. The seed's 53 bits are hashed into the 128-bit state,
 * so nearby seeds (0, 1, 2, ...) give unrelated streams.
 *
 * Not for cryptography.
 */
export class SeededRandom {
  private generator: JumpableRandomGenerator;
  private spareNormal: number | undefined;

  /**
   * Starts a stream from `seed`, a safe integer (|seed| ≤ 2^53 − 1). Throws InvalidArgumentError
   * naming `seed` otherwise. Callers that have no seed draw one with {@link randomSeed}.
   */
  constructor(seed: number) {
    checkSeed('seed', seed);
    this.generator = xoroshiro128plusFromState(stateFromSeed(seed));
  }

  /** Returns a uniform double in [0, 1), a multiple of 2^-53. */
  nextUniform(): number {
    return uniformFloat64(this.generator);
  }

  /**
   * Returns a standard normal draw (mean 0, variance 1). Each polar-method step yields two
   * independent normals; the second is kept and returned by the next call.
   */
  nextNormal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }

    let u: number;
    let v: number;
    let radiusSquared: number;
    do {
      u = 2 * this.nextUniform() - 1;
      v = 2 * this.nextUniform() - 1;
      radiusSquared = u * u + v * v;
    } while (radiusSquared >= 1 || radiusSquared === 0);

    const factor = Math.sqrt((-2 * Math.log(radiusSquared)) / radiusSquared);
    this.spareNormal = v * factor;
    return u * factor;
  }

  /**
   * Splits off an independent stream. The child continues this stream from its current
   * position and this stream jumps 2^64 generator steps ahead, so the two never overlap unless
   * one of them takes 2^64 steps (a uniform takes two). Forking twice gives two different children. The child starts
   * without the cached spare normal.
   */
  fork(): SeededRandom {
    const child = new SeededRandom(0);
    child.generator = this.generator.clone();
    this.generator.jump();
    return child;
  }
}

/**
 * Draws a fresh seed from `Math.random`, an integer in [0, 2^53). Use it where the caller gave
 * no seed, and record it when a run must be reproducible later.
 */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 53);
}

/**
 * Maps a safe integer to a xoroshiro128+ state [s01, s00, s11, s10] (pure-rand's word order).
 * The low and high 32-bit halves of the seed go through a bijective 32-bit hash each, so
 * distinct seeds give distinct states and the first outputs of nearby seeds are unrelated.
 */
function stateFromSeed(seed: number): number[] {
  const high = Math.floor(seed / TWO_POW_32);
  const low = seed - high * TWO_POW_32;

  // NOTE: xoroshiro128+ would stay at zero forever from the all-zero state. word1 is zero only
  // for high = 0x7f4a7c15, and |high| < 2^21 for safe integers, so that state never occurs.
  const word0 = hash32((low >>> 0) ^ 0x9e3779b9);
  const word1 = hash32((high | 0) ^ 0x7f4a7c15);
  const word2 = hash32(word0 ^ 0x85ebca6b);
  const word3 = hash32(word1 ^ 0xc2b2ae35);
  return [word1, word0, word3, word2];
}

/**
 * Hashes a 32-bit word with xorshifts and odd multipliers (the constants of Chris Wellons'
 * "lowbias32"). Each step is invertible, so the hash is a bijection.
 */
function hash32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x | 0;
}
