// Llama's forward pass as the pieces the model-family seam asks for, written as its difference
// from GPT-2's (gpt2/forward.ts), after Hugging Face's modeling_llama.py / modeling_qwen2.py:
// no position table (positions enter as rotary embeddings on q and k), RMSNorm without bias,
// separate q/k/v projections stored [out, in] with biases where the config has them,
// grouped-query attention (kv heads repeated before the shared `attend`), a SwiGLU MLP, and a
// tied or separate head. The residual block and attention proper are shared (attention.ts).
import * as tf from '@tensorflow/tfjs';
import { gpuRmsNorm } from '../../webgpu/rmsnorm.ts';
import { gpuRope } from '../../webgpu/rope.ts';
import { gpuSiluMul } from '../../webgpu/swiglu.ts';
import type { Dropout, KVAppend, PieceParams, Span, Weights } from '../family.ts';
import { adapted, attend, residualBlock } from '../attention.ts';
import { embeddingLookup } from '../embedding.ts';
import type { LlamaConfig } from './config.ts';
import { blockParams, LM_HEAD } from './params.ts';

/** The vocabulary table the logits read: the embedding when tied, else lm_head. */
export function headTable(c: LlamaConfig): string {
  return c.tie_word_embeddings ? 'embed_tokens.weight' : LM_HEAD;
}

export function pieceParams(c: LlamaConfig): PieceParams {
  const block = blockParams(c);
  return {
    embed: ['embed_tokens.weight'],
    block: (l) => block.map((p) => `layers.${l}.${p}`),
    head: ['norm.weight', headTable(c)],
  };
}

/** Token embedding only: ids [B*T] -> [B*T, C]. Llama has no embedding dropout. */
export function embed(_c: LlamaConfig, w: Weights, ids: tf.Tensor1D): tf.Tensor2D {
  return embeddingLookup(w.rows('embed_tokens.weight'), ids);
}

/** LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * g over the last axis, no mean subtracted, no bias. x [N, C]. One dispatch on WebGPU. */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor1D, eps: number): tf.Tensor2D {
  return gpuRmsNorm(x, g, eps) ?? tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g) as tf.Tensor2D);
}

/** nn.Linear: x [N, in] @ w[out, in]^T (+ b) -> [N, out], with its adapter where one is attached. */
function linearT(x: tf.Tensor2D, w: Weights, name: string, bias: boolean, dropout: Dropout): tf.Tensor2D {
  const y = tf.matMul(x, w.get<tf.Rank.R2>(name + '.weight'), false, true) as tf.Tensor2D;
  return adapted(bias ? (tf.add(y, w.get(name + '.bias')) as tf.Tensor2D) : y, x, w, name, dropout);
}

/**
 * cos and sin of RoPE's angles for positions past..past+T-1, [T, hd] each (rope_type "default"):
 * inv_freq_i = theta^(-2i/hd), i < hd/2, and emb = cat(freqs, freqs) so that element i and
 * i + hd/2 share a frequency (Hugging Face's rotate_half layout, not interleaved pairs). The
 * angles are computed in float64 and rounded once.
 */
export function ropeTables(hd: number, theta: number, past: number, T: number): [tf.Tensor2D, tf.Tensor2D] {
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  const half = hd / 2;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const a = (past + t) / theta ** ((2 * i) / hd);
      const c = Math.cos(a), s = Math.sin(a);
      cos[t * hd + i] = cos[t * hd + i + half] = c;
      sin[t * hd + i] = sin[t * hd + i + half] = s;
    }
  }
  return [tf.tensor2d(cos, [T, hd]), tf.tensor2d(sin, [T, hd])];
}

/** apply_rotary_pos_emb on x [B, n, T, hd]: x cos + rotate_half(x) sin, rotate_half(x) = cat(-x2, x1). */
function rotary(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const fused = gpuRope(x, cos, sin); // one dispatch on WebGPU
  if (fused) return fused;
  const [B, n, T, hd] = x.shape;
  const x1 = tf.slice(x, [0, 0, 0, 0], [B, n, T, hd / 2]);
  const x2 = tf.slice(x, [0, 0, 0, hd / 2], [B, n, T, hd / 2]);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin)) as tf.Tensor4D;
}

/**
 * repeat_kv: [B, nkv, T, hd] -> [B, nh, T, hd], query head h reading kv head h // (nh / nkv).
 * Copies side by side along a new axis, then merged into the head axis: a gather would need
 * UnsortedSegmentSum for its gradient, which tfjs' wasm backend lacks.
 */
function repeatKV(x: tf.Tensor4D, nh: number): tf.Tensor4D {
  const [B, nkv, T, hd] = x.shape;
  if (nkv === nh) return x;
  const flat = tf.reshape(x, [B, nkv, 1, T * hd]);
  const copies = tf.concat(new Array<tf.Tensor>(nh / nkv).fill(flat), 2); // [B, nkv, rep, T*hd]
  return tf.reshape(copies, [B, nh, T, hd]);
}

/**
 * Grouped-query self-attention with rotary positions. x [B*T, C] -> [B*T, C]. The KV cache holds
 * the kv heads after RoPE and before repeat_kv, as Hugging Face's DynamicCache does.
 */
function selfAttention(c: LlamaConfig, x: tf.Tensor2D, w: Weights, h: string, { B, T, past }: Span, mask: tf.Tensor2D | null, dropout: Dropout, kv?: KVAppend): tf.Tensor2D {
  return tf.tidy(() => {
    const { num_attention_heads: nh, num_key_value_heads: nkv, head_dim: hd } = c;
    const heads = (t: tf.Tensor2D, n: number) => tf.transpose(tf.reshape(t, [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, hd]
    const [cos, sin] = ropeTables(hd, c.rope_theta, past, T);
    const q = rotary(heads(linearT(x, w, h + 'self_attn.q_proj', c.qkv_bias, dropout), nh), cos, sin);
    let k = rotary(heads(linearT(x, w, h + 'self_attn.k_proj', c.qkv_bias, dropout), nkv), cos, sin);
    let v = heads(linearT(x, w, h + 'self_attn.v_proj', c.qkv_bias, dropout), nkv);
    if (kv) ({ k, v } = kv(k, v)); // [B, nkv, past+T, hd]
    const y = attend(q, repeatKV(k, nh), repeatKV(v, nh), mask, dropout, c.attention_dropout); // [B*T, nh*hd]
    return linearT(y, w, h + 'self_attn.o_proj', c.o_bias, dropout);
  });
}

/** SwiGLU: down(silu(gate(x)) * up(x)). x [N, C] -> [N, C]. */
function mlp(c: LlamaConfig, x: tf.Tensor2D, w: Weights, h: string, dropout: Dropout): tf.Tensor2D {
  return tf.tidy(() => {
    const gate = linearT(x, w, h + 'mlp.gate_proj', c.mlp_bias, dropout); // [N, F]
    const up = linearT(x, w, h + 'mlp.up_proj', c.mlp_bias, dropout); // [N, F]
    const act = gpuSiluMul(gate, up) ?? (tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D);
    return linearT(act, w, h + 'mlp.down_proj', c.mlp_bias, dropout);
  });
}

/** Block l: x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(.)). */
export function block(
  c: LlamaConfig, l: number, x: tf.Tensor2D, w: Weights, span: Span,
  mask: tf.Tensor2D | null, dropout: Dropout, kv?: KVAppend,
): tf.Tensor2D {
  const h = `layers.${l}.`;
  const norm = (x: tf.Tensor2D, n: string) => rmsNorm(x, w.get(h + n + '.weight'), c.rms_norm_eps);
  return residualBlock(
    x,
    (x) => selfAttention(c, norm(x, 'input_layernorm'), w, h, span, mask, dropout, kv),
    (x) => mlp(c, norm(x, 'post_attention_layernorm'), w, h, dropout),
  );
}

/** The final RMSNorm (`model.norm`): [N, C] -> [N, C]. */
export function final(c: LlamaConfig, x: tf.Tensor2D, w: Weights): tf.Tensor2D {
  return rmsNorm(x, w.get('norm.weight'), c.rms_norm_eps);
}
