// The layers families share, as plain functions of tensors: LayerNorm, the activations,
// linear maps, the causal mask, scaled dot-product attention (optionally reading and extending
// a KV cache) and the pre-norm residual block. Every weight matmul is 2-D ([B*T, C] x [C, N]):
// tfjs' BatchMatMul gradient does not sum over broadcast batch dimensions, and Hugging Face's
// Conv1D weights are already [in, out].
import * as tf from '@tensorflow/tfjs';
import type { Dropout, KVAppend, Weights } from './family.ts';
import { gpuGeluNew } from '../webgpu/gelu.ts';
import { gpuLayerNorm } from '../webgpu/layernorm.ts';

export type { Dropout } from './family.ts';

/**
 * y = (x - mean) / sqrt(var + eps) * g + b over the last axis; x [N, C]. The backward pass is
 * written out (as PyTorch's kernel computes it) rather than left to autodiff: tfjs' gradient of
 * a mean builds a tensor of ones on the CPU and uploads it, [N, C] floats per mean, and takes
 * some 25 kernels where this takes 11.
 */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D {
  const fused = gpuLayerNorm(x, g, b, eps); // one dispatch on WebGPU
  if (fused) return fused;
  const norm = tf.customGrad(((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [xhat, rstd] = tf.tidy(() => {
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps)); // [N, 1], population variance
      return [tf.mul(centered, rstd), rstd];
    });
    save([xhat, rstd, g]);
    const value = tf.add(tf.mul(xhat, g), b);
    return {
      value,
      // dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g; dg, db sum over rows.
      gradFunc: (dy: tf.Tensor, [xhat, rstd, g]: tf.Tensor[]) => {
        const dxhat = tf.mul(dy, g);
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))), rstd);
        return [dx, tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return norm(x, g, b) as tf.Tensor2D;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The activations config.json may name; gelu_new is GPT-2's tanh approximation. */
export function activation(name: string, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (name) {
      case 'gelu_new':
      case 'gelu_pytorch_tanh': {
        const fused = gpuGeluNew(x);
        if (fused) return fused;
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); x^3 as products: tf.pow and its
        // gradient (another pow) cost more than two multiplies on every backend.
        const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
      }
      case 'gelu': // exact: 0.5 x (1 + erf(x / sqrt 2))
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
      case 'relu':
        return tf.relu(x);
      default:
        throw new Error(`unsupported activation_function "${name}"`);
    }
  });
}

/** x [N, in] @ w [in, out] + b [out] -> [N, out] (HF Conv1D). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
}

/** y, the output of linear map `module` on x, plus its adapter's update of x where it has one (LoRA). */
export function adapted(y: tf.Tensor2D, x: tf.Tensor2D, w: Weights, module: string, dropout: Dropout): tf.Tensor2D {
  const adapter = w.adapter?.(module);
  return adapter ? (tf.add(y, adapter(x, dropout)) as tf.Tensor2D) : y;
}

/**
 * Additive causal mask for T queries at positions past..past+T-1 over past+T keys:
 * 0 where key j <= query position, -1e9 after it (softmax gives exactly 0 there).
 */
export function causalMask(T: number, past: number): tf.Tensor2D {
  const Tk = past + T;
  const m = new Float32Array(T * Tk);
  for (let i = 0; i < T; i++) for (let j = past + i + 1; j < Tk; j++) m[i * Tk + j] = -1e9;
  return tf.tensor2d(m, [T, Tk]); // [T, Tk]
}

/**
 * Scaled dot-product attention over heads, the part every family shares: q [B, nh, T, hs] and
 * k, v [B, nh, T, hs] (appended to a KV cache by `kv`, then [B, nh, past+T, hs]); mask
 * [T, past+T] (null when T == 1: a lone new token sees all). Returns the heads merged, [B*T, nh*hs].
 */
export function attend(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: tf.Tensor2D | null,
  dropout: Dropout,
  attnPdrop: number,
  kv?: KVAppend,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, nh, T, hs] = q.shape;
    if (kv) ({ k, v } = kv(k, v)); // [B, nh, past+T, hs]
    let att = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)); // [B, nh, T, past+T]
    if (mask) att = tf.add(att, mask); // mask [T, past+T] broadcasts over [B, nh]
    att = dropout(tf.softmax(att), attnPdrop);
    const y = tf.matMul(att, v); // [B, nh, T, hs]
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, nh * hs]) as tf.Tensor2D; // [B*T, C]
  });
}

/**
 * The pre-norm residual block every family shares (nanoGPT's Block): x + attn(x), then + mlp(.)
 * of that, where attn and mlp each include their own norm. x [B*T, C] -> [B*T, C].
 */
export function residualBlock(x: tf.Tensor2D, attn: (x: tf.Tensor2D) => tf.Tensor2D, mlp: (x: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  const h = tf.add(x, attn(x)) as tf.Tensor2D; // [B*T, C] residual
  return tf.add(h, mlp(h)) as tf.Tensor2D; // [B*T, C] residual
}
