// Loss and gradients with per-block recomputation ("activation checkpointing"), driven by hand.
//
// Why: tfjs' autodiff keeps every activation of the forward pass AND every intermediate
// gradient of the backward pass alive until the whole backward pass ends (tape.ts never frees
// a node's dy after use). For distilgpt2 that measured 3.6 GB at B1 x T256 (wasm), far past
// the 2.5 GB goal at B4. Here the forward pass runs without a tape and keeps only each
// block's input [B*T, C]; the backward pass then walks the blocks last to first, and for each
// one recomputes its forward under tf.grads with the upstream gradient as dy, so only one
// block's activations and gradients exist at a time (freed when its tf.grads returns).
// Cost: one extra forward pass (~+33% FLOPs).
//
// The pieces are the model's own (gpt2.ts' embed and block, as GPT2.hidden runs them);
// dropout masks are seeded per (step seed, block, call site), so the recomputed forward draws
// exactly the masks of the first one, and a resumed run the same again.
import * as tf from '@tensorflow/tfjs';
import type { GPT2Config } from '../model/config.ts';
import { causalMask, layerNorm, type Dropout } from '../model/attention.ts';
import { seededDropout } from '../webgpu/dropout.ts';
import type { VocabChunk as ModelChunk } from '../model/embedding.ts';
import { BLOCK_PARAMS, block, embed } from '../model/gpt2.ts';
import { mixSeed } from '../dataset/corpus.ts';
import { chunkedCrossEntropy } from './loss.ts';
import type { TrainableModel } from './step.ts';

/** A model whose structure the recomputing path knows (GPT2 satisfies it). */
export interface GPT2Like extends TrainableModel {
  readonly config: GPT2Config;
}

export function isGPT2Like(m: TrainableModel): m is GPT2Like {
  return typeof (m as Partial<GPT2Like>).config?.n_layer === 'number' && m.variables.has('wpe.weight');
}

/** Dropout whose mask depends only on (seed, part, call-site number): replayable. */
function partDropout(training: boolean, seed: number, part: number): Dropout {
  if (!training) return (x) => x;
  let site = 0;
  return (x, rate) => {
    site++;
    if (rate <= 0) return x;
    return seededDropout(x, rate, mixSeed(seed, part, site) & 0x7fffffff);
  };
}

/**
 * Mean next-token loss of one [B, T+1] batch and the gradient of every variable (keyed like
 * model.variables), holding one transformer block's activations at a time.
 */
export function recomputedLossAndGrads(
  model: GPT2Like,
  x: tf.Tensor2D, // [B, T] int32
  y: tf.Tensor1D, // [B*T] int32
  opts: { training: boolean; seed?: number },
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const cfg = model.config;
  const [B, T] = x.shape;
  const L = cfg.n_layer;
  const eps = cfg.layer_norm_epsilon;
  const seed = opts.seed ?? 0;
  const v = (name: string) => {
    const t = model.variables.get(name);
    if (!t) throw new Error(`recompute: the model has no parameter "${name}"`);
    return t;
  };
  const chunkKeys = [...model.variables.keys()].filter((k) => k.startsWith('wte.weight'));
  const chunkVars = model.vocabChunks.map((c) => c.weight as tf.Variable);
  const blockVars = (l: number) => BLOCK_PARAMS.map((p) => v(`h.${l}.${p}`));
  const mask = causalMask(T, 0); // [T, T]
  const ids = tf.reshape(x, [B * T]) as tf.Tensor1D; // [B*T]

  // The pieces, as functions of their parameters (so tf.grads can differentiate them).
  const embedWith = (ws: tf.Tensor[], wpe: tf.Tensor): tf.Tensor2D => {
    const chunks = model.vocabChunks.map((c, i) => ({ ...c, weight: ws[i] })) as unknown as ModelChunk[];
    return embed(chunks, wpe, ids, B, T, 0, cfg, partDropout(opts.training, seed, 0));
  };
  const blockWith = (l: number, h: tf.Tensor, w: tf.Tensor[]): tf.Tensor2D =>
    block(h as tf.Tensor2D, w, B, T, cfg, mask, partDropout(opts.training, seed, l + 1));
  const head = (h: tf.Tensor, g: tf.Tensor, b: tf.Tensor, ws: tf.Tensor[]): tf.Scalar =>
    chunkedCrossEntropy(
      layerNorm(h as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, eps), // [B*T, C] after ln_f
      model.vocabChunks.map((c, i) => ({ ...c, weight: ws[i] as tf.Tensor2D })),
      y,
    );

  // Forward without a tape: keep each block's input only.
  const inputs: tf.Tensor2D[] = [tf.tidy(() => embedWith(chunkVars, v('wpe.weight')))];
  for (let l = 0; l < L; l++) inputs.push(tf.tidy(() => blockWith(l, inputs[l], blockVars(l))));

  const grads = new Map<string, tf.Tensor>();
  // ln_f and the tied head: loss, dL/dh_L, and the head's share of the embedding gradient.
  const lnf = [v('ln_f.weight'), v('ln_f.bias')];
  const top = tf.valueAndGrads((h: tf.Tensor, g: tf.Tensor, b: tf.Tensor, ...ws: tf.Tensor[]) => head(h, g, b, ws))([
    inputs[L], ...lnf, ...chunkVars,
  ]);
  let dh = top.grads[0]; // [B*T, C]
  grads.set('ln_f.weight', top.grads[1]);
  grads.set('ln_f.bias', top.grads[2]);
  const headChunkGrads = top.grads.slice(3);
  inputs.pop()!.dispose();

  // Blocks last to first: recompute one block under a tape, pull dy through it, free it.
  for (let l = L - 1; l >= 0; l--) {
    const w = blockVars(l);
    const g = tf.grads((h: tf.Tensor, ...ws: tf.Tensor[]) => blockWith(l, h, ws))([inputs[l], ...w], dh);
    dh.dispose();
    dh = g[0];
    BLOCK_PARAMS.forEach((p, i) => grads.set(`h.${l}.${p}`, g[i + 1]));
    inputs.pop()!.dispose();
  }

  // The embedding: its share of the chunks' gradient plus the position table's.
  const ge = tf.grads((...ws: tf.Tensor[]) => embedWith(ws.slice(0, -1), ws[ws.length - 1]))([...chunkVars, v('wpe.weight')], dh);
  dh.dispose();
  grads.set('wpe.weight', ge[ge.length - 1]);
  chunkKeys.forEach((key, i) => {
    grads.set(key, tf.add(headChunkGrads[i], ge[i]));
    tf.dispose([headChunkGrads[i], ge[i]]);
  });
  tf.dispose([mask, ids]);
  return { loss: top.value as tf.Scalar, grads };
}
