// The one rule for dropout seeds. A training step's micro-batch has one seed (from the run's
// seed, the step and the micro-batch index); each mask then derives from (that seed, the part
// of the network, the call site within the part), the part being 0 for the embedding and l+1
// for block l. The forward pass and its per-block recomputation number parts and sites alike,
// so recomputation on or off draws the same masks, and a resumed run draws them again.
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../rng.ts';
import { seededDropout } from '../webgpu/dropout.ts';
import type { Dropout } from './family.ts';

/** The seed of micro-batch `micro` of optimizer step `step` in a run seeded `runSeed`. */
export function batchSeed(runSeed: number, step: number, micro: number): number {
  return mixSeed(runSeed, step, micro) & 0x7fffff;
}

/** The seed of one mask: call site `site` (1-based) of part `part` under a micro-batch's seed. */
export function dropoutSeed(seed: number, part: number, site: number): number {
  return mixSeed(seed, part, site) & 0x7fffffff;
}

/** Part numbers: the embedding, then each block. */
export const EMBED_PART = 0;
export const blockPart = (l: number) => l + 1;

/**
 * Dropout for one part of the network: the identity unless training; masks from dropoutSeed
 * when a seed is given, fresh ones otherwise.
 */
export function partDropout(training: boolean, seed: number | undefined, part: number): Dropout {
  if (!training) return (x) => x;
  let site = 0;
  return (x: tf.Tensor, rate: number) => {
    site++;
    if (rate <= 0) return x;
    return seededDropout(x, rate, seed === undefined ? undefined : dropoutSeed(seed, part, site));
  };
}
