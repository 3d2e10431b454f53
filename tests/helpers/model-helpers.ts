// Shared by the model tests: losses and greedy decoding straight from the GPT2 API, kept
// free of the generation module so these tests check the model alone.
import * as tf from '@tensorflow/tfjs';
import type { GPT2 } from '../../src/lib/model/gpt2.ts';

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

/** Mean next-token loss over ids [B, T] -> targets [B*T] and its gradient for every variable (by our name). */
export async function lossAndGrads(
  model: GPT2,
  ids: number[][],
  targets: number[],
  opts: { training?: boolean; seed?: number } = {},
): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const vars = [...model.variables.values()];
  const { value, grads } = tf.variableGrads(() => {
    const h = model.hidden(tf.tensor2d(ids, undefined, 'int32'), opts);
    return tf.mean(model.tokenLosses(h, tf.tensor1d(targets, 'int32'))) as tf.Scalar;
  }, vars);
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.variables) out.set(name, (await grads[v.name].data()) as Float32Array);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** The gradient of the whole tied embedding: the chunk gradients laid end to end. */
export function wholeWteGrad(model: GPT2, grads: Map<string, Float32Array>): Float32Array {
  const C = model.config.n_embd;
  const out = new Float32Array(model.config.vocab_size * C);
  for (const [name, v] of model.variables) {
    const chunk = model.vocabChunks.find((c) => c.weight === v);
    if (chunk) out.set(grads.get(name)!, chunk.start * C);
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
