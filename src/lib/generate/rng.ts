// Samplers draw from the project's one RNG (src/lib/rng.ts).
export { Rng, sampleSeed } from '../rng.ts';
