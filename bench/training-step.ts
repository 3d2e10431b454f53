// What the training benches (train, profile) share: a real optimizer step on a random model,
// and steps timed back to back with one read-back at the end, as the trainer runs them.
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../src/lib/model/causal-lm.ts';
import { AdamW, type Param } from '../src/lib/train/adamw.ts';
import { optimizerStep } from '../src/lib/train/step.ts';
import { trainableParams } from '../src/lib/train/trainer.ts';
import { syntheticTokens } from '../tests/helpers/synthetic.ts';
import { buildBenchModel, type BenchModel } from './models.ts';

export interface SyntheticTraining {
  /** One optimizer step (chunked cross-entropy, gradients, clipping, AdamW) on batch i. */
  step(i: number): { loss: tf.Scalar; norm: tf.Scalar };
  dispose(): void;
}

export interface TrainingOptions {
  /** Largest tensor; default the app's chunking (benchChunkBytes). */
  maxBufferBytes?: number;
  recompute?: boolean;
  /**
   * What AdamW updates, and what to free with the model: every parameter (full fine-tuning, the
   * default), or a run's adapters on the frozen model (a `--lora r` run hands them in here).
   */
  trainable?: (model: CausalLM) => { params: Param[]; dispose(): void };
}

/** Full fine-tuning: every parameter of the model is trained. */
const fullModel = (model: CausalLM) => ({ params: trainableParams(model), dispose: () => {} });

/** A randomly initialised model, chunked as the app chunks it (unless told), and its optimizer. */
export function syntheticTraining(m: BenchModel, B: number, T: number, opts: TrainingOptions = {}): SyntheticTraining {
  const model = buildBenchModel(m, opts.maxBufferBytes);
  const vocab = model.dims.vocab;
  const trained = (opts.trainable ?? fullModel)(model);
  const opt = new AdamW(trained.params);
  const step = (i: number) =>
    optimizerStep(model, opt, [{ rows: syntheticTokens(B * (T + 1), vocab, 100 + i), seed: i }], {
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
      trained.dispose();
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
