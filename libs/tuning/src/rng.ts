/** A seeded uniform generator on [0, 1): mulberry32, small and fast, enough for sampling. */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
  return mulberry32(h);
}

/** A standard normal draw (Box-Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
