// What the training benches (train, profile) share: a real optimizer step on a random model,
// and steps timed back to back with one read-back at the end, as the trainer runs them.
import * as tf from '@tensorflow/tfjs';
import { GPT2, gpt2Family } from '../src/lib/model/gpt2/index.ts';
import type { GPT2Config } from '../src/lib/model/gpt2/config.ts';
import { AdamW } from '../src/lib/train/adamw.ts';
import { optimizerStep } from '../src/lib/train/step.ts';
import { trainableParams } from '../src/lib/train/trainer.ts';
import { trainingChunkBytes } from '../src/workers/model/weights.ts';
import { syntheticTokens, syntheticWeights } from '../tests/helpers/synthetic.ts';

export interface SyntheticTraining {
  /** One optimizer step (chunked cross-entropy, gradients, clipping, AdamW) on batch i. */
  step(i: number): { loss: tf.Scalar; norm: tf.Scalar };
  dispose(): void;
}

/** A randomly initialised model of config c, chunked as the app chunks it (unless told), and its optimizer. */
export function syntheticTraining(c: GPT2Config, B: number, T: number, opts: { maxBufferBytes?: number; recompute?: boolean } = {}): SyntheticTraining {
  const model = GPT2.fromWeights(c, syntheticWeights(c, 1), { maxBufferBytes: opts.maxBufferBytes ?? trainingChunkBytes(gpt2Family, c) });
  const opt = new AdamW(trainableParams(model));
  const step = (i: number) =>
    optimizerStep(model, opt, [{ rows: syntheticTokens(B * (T + 1), c.vocab_size, 100 + i), seed: i }], {
      batchSize: B,
      blockSize: T,
      lr: 1e-4,
      clipNorm: 1,
      training: true,
      recompute: opts.recompute ?? true,
    });
  return {
    step,
    dispose: () => {
      opt.dispose();
      model.dispose();
    },
  };
}

/** Steps 1..n queued back to back, then one read-back: ms per step in all, and to queue them. */
export async function timeSteps(t: SyntheticTraining, n: number): Promise<{ msPerStep: number; queueMsPerStep: number }> {
  const t0 = performance.now();
  const pending: tf.Tensor[] = [];
  for (let i = 1; i <= n; i++) {
    const r = t.step(i);
    pending.push(r.loss, r.norm);
  }
  const queued = performance.now();
  const losses = tf.stack(pending.filter((_, i) => i % 2 === 0));
  await losses.data();
  const msPerStep = (performance.now() - t0) / n;
  tf.dispose([...pending, losses]);
  return { msPerStep, queueMsPerStep: (queued - t0) / n };
}
