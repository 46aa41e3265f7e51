import { createHash } from 'node:crypto';

/**
 * Reproducible randomness for the reliability suite: a failing seed can be replayed exactly.
 */

/** A PRNG over [0, 1) from a 32-bit xorshift state (Marsaglia's 13/17/5 shifts); not for cryptography. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/**
 * A number in [0, 1) fixed by `parts` alone, so that a decision (what a receiver answers to
 * the n-th attempt of a lead) does not depend on the order concurrent requests arrive in.
 */
export function unitFromKey(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/** An integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
