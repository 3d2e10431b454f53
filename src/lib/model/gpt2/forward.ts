// GPT-2's forward pass as the pieces the model-family seam asks for, in the spirit of nanoGPT's
// model.py. References: 1) OpenAI's GPT-2 (github.com/openai/gpt-2, src/model.py); 2) Hugging
// Face transformers' modeling_gpt2.py, whose checkpoints map one to one. What is GPT-2's own:
// learned positions (wpe), LayerNorm with bias, q|k|v fused in one Conv1D (c_attn), a GELU MLP,
// the head tied to wte. The residual block and attention proper are shared (attention.ts).
import * as tf from '@tensorflow/tfjs';
import type { GPT2Config } from './config.ts';
import type { KVAppend, PieceParams, Span, Weights, Dropout } from '../family.ts';
import { activation, adapted, attend, layerNorm, linear, residualBlock } from '../attention.ts';
import { embeddingLookup } from '../embedding.ts';

/** One transformer block's parameters, by their names under `h.{l}.` (HF layout). */
export const BLOCK_PARAMS = [
  'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
  'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
] as const;

/** The same for every GPT-2 config: the head is ln_f and the tied wte. */
export function pieceParams(): PieceParams {
  return {
    embed: ['wte.weight', 'wpe.weight'],
    block: (l) => BLOCK_PARAMS.map((p) => `h.${l}.${p}`),
    head: ['ln_f.weight', 'ln_f.bias', 'wte.weight'],
  };
}

/** Token embedding plus positions past..past+T-1, then embedding dropout: ids [B*T] -> [B*T, C]. */
export function embed(cfg: GPT2Config, w: Weights, ids: tf.Tensor1D, { B, T, past }: Span, dropout: Dropout): tf.Tensor2D {
  const C = cfg.n_embd;
  const tok = embeddingLookup(w.rows('wte.weight'), ids); // [B*T, C]
  const pos = tf.slice(w.get('wpe.weight'), [past, 0], [T, C]); // [T, C]
  const x = tf.reshape(tf.add(tf.reshape(tok, [B, T, C]), pos), [B * T, C]); // [B*T, C]
  return dropout(x, cfg.embd_pdrop) as tf.Tensor2D;
}

/** Conv1D `module` (weight [in, out], bias) on x [N, in], with its adapter where one is attached. */
function conv1d(x: tf.Tensor2D, w: Weights, module: string, dropout: Dropout): tf.Tensor2D {
  return adapted(linear(x, w.get(module + '.weight'), w.get(module + '.bias')), x, w, module, dropout);
}

/**
 * Causal self-attention with q, k, v from one fused projection. x [B*T, C] -> [B*T, C].
 * q, k, v as contiguous thirds: a 3-D transpose, then slices along the first axis. (A split of
 * the last axis strides through every row: 0.9 s for [1024, 2304] on tfjs' cpu backend, against
 * 0.1 s; one 5-D transpose to [3, B, nh, T, hs] would be 15x slower on wasm.)
 */
function selfAttention(cfg: GPT2Config, x: tf.Tensor2D, w: Weights, h: string, { B, T }: Span, mask: tf.Tensor2D | null, dropout: Dropout, kv?: KVAppend): tf.Tensor2D {
  return tf.tidy(() => {
    const C = cfg.n_embd;
    const nh = cfg.n_head;
    const qkv = conv1d(x, w, h + 'attn.c_attn', dropout); // [B*T, 3C]
    const [q2, k2, v2] = tf.unstack(tf.transpose(tf.reshape(qkv, [B * T, 3, C]), [1, 0, 2])); // [B*T, C] each
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, nh, C / nh]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, nh, T, hs]
    const y = attend(heads(q2), heads(k2), heads(v2), mask, dropout, cfg.attn_pdrop, kv); // [B*T, C]
    return dropout(conv1d(y, w, h + 'attn.c_proj', dropout), cfg.resid_pdrop) as tf.Tensor2D;
  });
}

/** The position-wise MLP: x [N, C] -> act(x W_fc + b) W_proj + b -> [N, C]. */
function mlp(cfg: GPT2Config, x: tf.Tensor2D, w: Weights, h: string, dropout: Dropout): tf.Tensor2D {
  return tf.tidy(() => {
    const hidden = activation(cfg.activation_function, conv1d(x, w, h + 'mlp.c_fc', dropout)) as tf.Tensor2D; // [N, 4C]
    return dropout(conv1d(hidden, w, h + 'mlp.c_proj', dropout), cfg.resid_pdrop) as tf.Tensor2D; // [N, C]
  });
}

/** Block l: x + attn(ln_1(x)), then + mlp(ln_2(.)). x [B*T, C] -> [B*T, C]. */
export function block(
  cfg: GPT2Config, l: number, x: tf.Tensor2D, w: Weights, span: Span,
  mask: tf.Tensor2D | null, dropout: Dropout, kv?: KVAppend,
): tf.Tensor2D {
  const h = `h.${l}.`;
  const eps = cfg.layer_norm_epsilon;
  const norm = (x: tf.Tensor2D, n: string) => layerNorm(x, w.get(h + n + '.weight'), w.get(h + n + '.bias'), eps);
  return residualBlock(
    x,
    (x) => selfAttention(cfg, norm(x, 'ln_1'), w, h, span, mask, dropout, kv),
    (x) => mlp(cfg, norm(x, 'ln_2'), w, h, dropout),
  );
}

/** ln_f: [N, C] -> [N, C]. */
export function final(cfg: GPT2Config, x: tf.Tensor2D, w: Weights): tf.Tensor2D {
  return layerNorm(x, w.get('ln_f.weight'), w.get('ln_f.bias'), cfg.layer_norm_epsilon);
}
