// Shared by the model tests: losses and greedy decoding straight from the CausalLM API, kept
// free of the generation module so these tests check the model alone.
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../../src/lib/model/causal-lm.ts';

/** A model of any family. */
type GPT2 = CausalLM;

/** Next-token losses of ids (length n -> n-1 values), one forward pass. */
export async function lossesOf(model: GPT2, ids: number[]): Promise<number[]> {
  const l = tf.tidy(() =>
    model.tokenLosses(model.hidden(tf.tensor2d([ids.slice(0, -1)], undefined, 'int32')), tf.tensor1d(ids.slice(1), 'int32')),
  );
  const out = Array.from(await l.data());
  l.dispose();
  return out;
}

/** n greedy tokens after ids; with a KV cache (one token per step) or recomputing everything. */
export async function greedyIds(model: GPT2, ids: number[], n: number, useCache: boolean): Promise<number[]> {
  const out: number[] = [];
  const cache = useCache ? model.newCache(1) : undefined;
  let input = ids;
  try {
    for (let s = 0; s < n; s++) {
      const next = tf.tidy(() => {
        const h = model.hidden(tf.tensor2d([input], undefined, 'int32'), { cache }); // [T, C]
        const last = h.slice([h.shape[0] - 1, 0], [1, -1]); // [1, C]
        return model.logits(last).argMax(1); // [1]
      });
      const id = (await next.data())[0];
      next.dispose();
      out.push(id);
      input = useCache ? [id] : [...ids, ...out];
    }
  } finally {
    cache?.dispose();
  }
  return out;
}

/**
 * Mean next-token loss over ids [B, T] -> targets [B*T] and its gradient for every logical
 * parameter (a parameter held in row slices gets its slices' gradients end to end).
 */
export async function lossAndGrads(
  model: GPT2,
  ids: number[][],
  targets: number[],
  opts: { training?: boolean; seed?: number } = {},
): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const vars = model.parameters.flatMap((p) => p.slices);
  const y = tf.tensor1d(targets, 'int32'); // outlives the forward pass: the loss's backward reads it
  const { value, grads } = tf.variableGrads(() => model.meanLoss(model.hidden(tf.tensor2d(ids, undefined, 'int32'), opts), y), vars);
  y.dispose();
  const out = new Map<string, Float32Array>();
  for (const p of model.parameters) {
    const parts = await Promise.all(p.slices.map(async (v) => (await grads[v.name].data()) as Float32Array));
    const whole = new Float32Array(parts.reduce((n, g) => n + g.length, 0));
    parts.reduce((at, g) => (whole.set(g, at), at + g.length), 0);
    out.set(p.name, whole);
  }
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
