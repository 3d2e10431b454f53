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
// The pieces are the family's own (family.ts), as CausalLM.hidden runs them, with the same
// dropout parts and sites (dropout.ts): the recomputed forward draws exactly the masks of the
// first one, and recomputation on or off the same masks.
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/causal-lm.ts';
import { causalMask } from '../model/attention.ts';
import { substituted } from '../model/parameters.ts';
import { chunkedCrossEntropy } from '../model/loss.ts';
import { EMBED_PART, blockPart, partDropout } from '../model/dropout.ts';

/** Adds `g` to the gradient held for `key` (a parameter read by two pieces, as a tied head is). */
function accumulate(grads: Map<string, tf.Tensor>, key: string, g: tf.Tensor): void {
  const prev = grads.get(key);
  if (!prev) {
    grads.set(key, g);
    return;
  }
  grads.set(key, tf.add(prev, g));
  tf.dispose([prev, g]);
}

/**
 * Mean next-token loss of one [B, T+1] batch and the gradient of every parameter slice (keyed by
 * its variable's name), holding one transformer block's activations at a time.
 */
export function recomputedLossAndGrads(
  model: CausalLM,
  x: tf.Tensor2D, // [B, T] int32
  y: tf.Tensor1D, // [B*T] int32
  opts: { training: boolean; seed?: number },
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const { family, config } = model;
  const [B, T] = x.shape;
  const L = model.dims.layers;
  const span = { B, T, past: 0 };
  const seed = opts.seed ?? 0;
  const pieces = family.pieceParams(config);
  const byName = new Map(model.parameters.map((p) => [p.name, p]));
  const slicesOf = (names: string[]) => names.flatMap((n) => model.parameter(n).slices);
  const view = (names: string[], flat: readonly tf.Tensor[]) => substituted(byName, names, flat);
  const mask = causalMask(T, 0); // [T, T]
  const ids = tf.reshape(x, [B * T]) as tf.Tensor1D; // [B*T]

  // The pieces, as functions of their parameters' slices (so tf.grads can differentiate them).
  const embedWith = (ws: tf.Tensor[]): tf.Tensor2D =>
    family.embed(config, view(pieces.embed, ws), ids, span, partDropout(opts.training, seed, EMBED_PART));
  const blockWith = (l: number, h: tf.Tensor, ws: tf.Tensor[]): tf.Tensor2D =>
    family.block(config, l, h as tf.Tensor2D, view(pieces.block(l), ws), span, mask, partDropout(opts.training, seed, blockPart(l)));
  const headWith = (h: tf.Tensor, ws: tf.Tensor[]): tf.Scalar => {
    const w = view(pieces.head, ws);
    return chunkedCrossEntropy(family.final(config, h as tf.Tensor2D, w), w.rows(family.headTable(config)), y);
  };

  // Forward without a tape: keep each block's input only.
  const inputs: tf.Tensor2D[] = [tf.tidy(() => embedWith(slicesOf(pieces.embed)))];
  for (let l = 0; l < L; l++) inputs.push(tf.tidy(() => blockWith(l, inputs[l], slicesOf(pieces.block(l)))));

  const grads = new Map<string, tf.Tensor>();
  const keep = (vars: tf.Variable[], gs: tf.Tensor[]) => vars.forEach((v, i) => accumulate(grads, v.name, gs[i]));
  // The final norm and the head: loss, dL/dh_L, and the head's gradient.
  const headVars = slicesOf(pieces.head);
  const top = tf.valueAndGrads((h: tf.Tensor, ...ws: tf.Tensor[]) => headWith(h, ws))([inputs[L], ...headVars]);
  let dh = top.grads[0]; // [B*T, C]
  keep(headVars, top.grads.slice(1));
  inputs.pop()!.dispose();

  // Blocks last to first: recompute one block under a tape, pull dy through it, free it.
  for (let l = L - 1; l >= 0; l--) {
    const vars = slicesOf(pieces.block(l));
    const g = tf.grads((h: tf.Tensor, ...ws: tf.Tensor[]) => blockWith(l, h, ws))([inputs[l], ...vars], dh);
    dh.dispose();
    dh = g[0];
    keep(vars, g.slice(1));
    inputs.pop()!.dispose();
  }

  // The embedding: its share of a tied table's gradient (added to the head's), and the rest.
  const embedVars = slicesOf(pieces.embed);
  keep(embedVars, tf.grads((...ws: tf.Tensor[]) => embedWith(ws))(embedVars, dh));
  dh.dispose();
  tf.dispose([mask, ids]);
  return { loss: top.value as tf.Scalar, grads };
}
