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
