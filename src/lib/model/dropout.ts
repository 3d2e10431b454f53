// The one rule for dropout seeds. A training step's micro-batch has one seed (from the run's
// seed, the step and the micro-batch index); each mask then derives from (that seed, the part
// of the network, the call site within the part), the part being 0 for the embedding and l+1
// for block l. The forward pass and its per-block recomputation number parts and sites alike,
// so recomputation on or off draws the same masks, and a resumed run draws them again.
// Adapters (LoRA) draw theirs from a second stream of sites, so attaching them leaves the base
// network's masks as they were.
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../rng.ts';
import { seededDropout } from '../webgpu/dropout.ts';
import type { Dropout } from './family.ts';

/** The seed of micro-batch `micro` of optimizer step `step` in a run seeded `runSeed`. */
export function batchSeed(runSeed: number, step: number, micro: number): number {
  return mixSeed(runSeed, step, micro) & 0x7fffff;
}

/**
 * The seed of one mask: call site `site` (1-based) of part `part` under a micro-batch's seed, in
 * the base network's stream (0) or the adapters' (ADAPTER_STREAM).
 */
export function dropoutSeed(seed: number, part: number, site: number, stream = 0): number {
  return (stream === 0 ? mixSeed(seed, part, site) : mixSeed(seed, part, site, stream)) & 0x7fffffff;
}

/** The stream of sites adapters draw their input dropout from. */
export const ADAPTER_STREAM = 1;

/** Part numbers: the embedding, then each block. */
export const EMBED_PART = 0;
export const blockPart = (l: number) => l + 1;

/**
 * Dropout for one part of the network: the identity unless training; masks from dropoutSeed
 * when a seed is given, fresh ones otherwise.
 */
export function partDropout(training: boolean, seed: number | undefined, part: number): Dropout {
  if (!training) return (x) => x;
  const sites = [0, 0]; // per stream
  return (x: tf.Tensor, rate: number, stream = 0) => {
    const site = ++sites[stream];
    if (rate <= 0) return x;
    return seededDropout(x, rate, seed === undefined ? undefined : dropoutSeed(seed, part, site, stream));
  };
}
