// The project's one seedable RNG: a seed reproduces a sample, a shuffle, a fixture, in the
// page, the worker, the CLI and the tests alike. mulberry32 (Tommy Ettinger's 32-bit generator): one uint32 of state,
// so the state serialises as a single number and a run can be resumed exactly.

export class Rng {
  /** The whole state: one uint32. */
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform float in [0, 1), 32 bits of randomness. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The state, to store and later hand to Rng.fromState. */
  get state(): number {
    return this.s;
  }

  static fromState(state: number): Rng {
    return new Rng(state);
  }
}

/** The same generator as a plain function, for code that only draws numbers. */
export function mulberry32(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/**
 * The seed of sample `i` of a run seeded with `seed`: each sample gets its own stream, so
 * sample i draws the same numbers whatever the number of samples or when others stop.
 * (splitmix32-style mixing, so seeds 1 and 2 do not give overlapping streams.)
 */
export function sampleSeed(seed: number, i: number): number {
  let z = (seed >>> 0) ^ Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A 32-bit hash of several numbers (murmur3's finaliser applied after each): seeds derived
 * from a run's seed and a position (step, epoch, account, dropout site) without correlation.
 */
export function mixSeed(...parts: number[]): number {
  let z = 0x9e3779b9;
  for (const p of parts) {
    z = (z ^ (p >>> 0)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
  }
  return z;
}
