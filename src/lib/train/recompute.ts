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
//
// With adapters attached (LoRA) only they are differentiated: each block's tf.grads takes its
// input and its adapters, the base weights enter as constants (no weight-gradient products for
// frozen matrices), the head gives dL/dh alone and the embedding needs no backward pass at all.
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/causal-lm.ts';
import { causalMask } from '../model/attention.ts';
import { substituted } from '../model/parameters.ts';
import { chunkedCrossEntropy, LOSS_PIECE_ROWS } from '../model/loss.ts';
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
  const adapters = model.adapters;
  const byName = new Map([...model.parameters, ...(adapters?.parameters ?? [])].map((p) => [p.name, p]));
  const slicesOf = (names: string[]) => names.flatMap((n) => byName.get(n)!.slices);
  const view = (names: string[], flat: readonly tf.Tensor[]) => substituted(byName, names, flat);
  const mask = causalMask(T, 0); // [T, T]
  const ids = tf.reshape(x, [B * T]) as tf.Tensor1D; // [B*T]

  // What tf.grads differentiates in block l: its parameters, or its adapters only.
  const blockDiff = (l: number) => (adapters ? adapters.blockParams(l) : pieces.block(l));
  const blockView = (l: number, ws: readonly tf.Tensor[]) => {
    if (!adapters) return view(pieces.block(l), ws);
    const names = adapters.blockParams(l);
    return adapters.view(view(pieces.block(l), slicesOf(pieces.block(l))), new Map(names.map((n, i) => [n, ws[i]])));
  };

  // The pieces, as functions of their differentiated tensors (so tf.grads can differentiate them).
  const embedWith = (ws: tf.Tensor[]): tf.Tensor2D =>
    family.embed(config, view(pieces.embed, ws), ids, span, partDropout(opts.training, seed, EMBED_PART));
  const blockWith = (l: number, h: tf.Tensor, ws: tf.Tensor[]): tf.Tensor2D =>
    family.block(config, l, h as tf.Tensor2D, blockView(l, ws), span, mask, partDropout(opts.training, seed, blockPart(l)));
  const headWith = (h: tf.Tensor, ws: tf.Tensor[]): tf.Scalar => {
    const w = view(pieces.head, ws);
    return chunkedCrossEntropy(family.final(config, h as tf.Tensor2D, w), w.rows(family.headTable(config)), y, LOSS_PIECE_ROWS, adapters !== null);
  };

  // Forward without a tape: keep each block's input only.
  const inputs: tf.Tensor2D[] = [tf.tidy(() => embedWith(slicesOf(pieces.embed)))];
  for (let l = 0; l < L; l++) inputs.push(tf.tidy(() => blockWith(l, inputs[l], slicesOf(blockDiff(l)))));

  const grads = new Map<string, tf.Tensor>();
  const keep = (vars: tf.Variable[], gs: tf.Tensor[]) => vars.forEach((v, i) => accumulate(grads, v.name, gs[i]));
  // The final norm and the head: loss, dL/dh_L, and the head's gradient unless it is frozen.
  const headVars = slicesOf(pieces.head);
  const headDiff = adapters ? [] : headVars;
  const top = tf.valueAndGrads((h: tf.Tensor, ...ws: tf.Tensor[]) => headWith(h, adapters ? headVars : ws))([inputs[L], ...headDiff]);
  let dh = top.grads[0]; // [B*T, C]
  keep(headDiff, top.grads.slice(1));
  inputs.pop()!.dispose();

  // Blocks last to first: recompute one block under a tape, pull dy through it, free it.
  // A frozen embedding needs no dL/dx of block 0.
  for (let l = L - 1; l >= 0; l--) {
    const vars = slicesOf(blockDiff(l));
    const h = inputs[l];
    if (adapters && l === 0) {
      if (vars.length > 0) keep(vars, tf.grads((...ws: tf.Tensor[]) => blockWith(l, h, ws))(vars, dh));
    } else {
      const g = tf.grads((h: tf.Tensor, ...ws: tf.Tensor[]) => blockWith(l, h, ws))([h, ...vars], dh);
      dh.dispose();
      dh = g[0];
      keep(vars, g.slice(1));
    }
    inputs.pop()!.dispose();
  }

  // The embedding: its share of a tied table's gradient (added to the head's), and the rest;
  // nothing when it is frozen.
  if (!adapters) {
    const embedVars = slicesOf(pieces.embed);
    keep(embedVars, tf.grads((...ws: tf.Tensor[]) => embedWith(ws))(embedVars, dh));
  }
  dh.dispose();
  tf.dispose([mask, ids]);
  return { loss: top.value as tf.Scalar, grads };
}
