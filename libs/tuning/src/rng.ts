import { SeededRandom } from '@aimass/random';

/** A seeded uniform draw on [0, 1), as a plain function the samplers pass around. */
export type Rng = () => number;

/** The platform's one PRNG (SeededRandom) as an Rng. */
export function seededRng(seed: number): Rng {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/**
 * A generator for one decision, derived from the study seed and the decision's keys (trial number,
 * a label), so that a sampler's choice depends on the seed and the history only, never on how
 * many times it was called before.
 */
export function rngFor(seed: number, ...keys: (number | string)[]): Rng {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h = Math.imul(h ^ x, 0x01000193) >>> 0;
  };
  mix(seed | 0);
  for (const k of keys) {
    if (typeof k === 'number') {
      mix(k | 0);
      mix(Math.floor(k / 4294967296) | 0);
    } else for (let i = 0; i < k.length; i++) mix(k.charCodeAt(i));
    mix(0x9e3779b9);
  }
  return seededRng(h);
}

/** A standard normal draw (Box-Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
