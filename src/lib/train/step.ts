// One optimizer step, the core the Trainer repeats and the golden tests check against
// PyTorch: for each micro-batch, loss and gradients (chunked cross-entropy); gradients
// averaged over the micro-batches, clipped to a global norm, applied by AdamW.
import * as tf from '@tensorflow/tfjs';
import { AdamW, clipCoefficient } from './adamw.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { recomputedLossAndGrads } from './recompute.ts';

/** What training needs of a model: any family's (its logical parameters, its pieces). */
export type TrainableModel = CausalLM;

/** x = rows[:, :T], y = rows[:, 1:] flattened, from [B, T+1] token rows. */
export function splitRows(rows: Int32Array, B: number, T1: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return tf.tidy(() => {
    const all = tf.tensor2d(rows, [B, T1], 'int32'); // [B, T+1]
    const x = tf.slice(all, [0, 0], [B, T1 - 1]) as tf.Tensor2D; // [B, T]
    const y = tf.reshape(tf.slice(all, [0, 1], [B, T1 - 1]), [B * (T1 - 1)]) as tf.Tensor1D; // [B*T]
    return { x, y };
  });
}

/** Mean loss and its gradients, keyed like optimizer.params (by variable name), for one [B, T+1] micro-batch. */
export function lossAndGrads(
  model: TrainableModel,
  optimizer: AdamW,
  rows: Int32Array,
  shape: { batchSize: number; blockSize: number; training: boolean; seed?: number; recompute?: boolean },
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const { x, y } = splitRows(rows, shape.batchSize, shape.blockSize + 1);
  if (shape.recompute) {
    // One block's activations at a time (recompute.ts): what makes distilgpt2 fit a GPU budget.
    const out = recomputedLossAndGrads(model, x, y, { training: shape.training, seed: shape.seed });
    tf.dispose([x, y]);
    return out;
  }
  const { value, grads } = tf.variableGrads(() => {
    const h = model.hidden(x, { training: shape.training, seed: shape.seed }); // [B*T, C]
    return model.meanLoss(h, y);
  }, optimizer.params.map((p) => p.variable));
  x.dispose();
  y.dispose();
  return { loss: value, grads: new Map(optimizer.params.map((p) => [p.key, grads[p.variable.name]])) };
}

export interface StepOptions {
  batchSize: number;
  blockSize: number;
  lr: number;
  clipNorm: number;
  training: boolean; // dropout on
  recompute?: boolean; // per-block recomputation (recompute.ts)
}

/**
 * One AdamW step over the given micro-batches (gradient accumulation = their number).
 * Returns the mean loss and the gradient norm before clipping, as device scalars to read later.
 */
export function optimizerStep(
  model: TrainableModel,
  optimizer: AdamW,
  micro: { rows: Int32Array; seed?: number }[],
  opts: StepOptions,
): { loss: tf.Scalar; norm: tf.Scalar } {
  let sum: Map<string, tf.Tensor> | null = null;
  let lossSum: tf.Scalar | null = null;
  for (const mb of micro) {
    const { loss, grads } = lossAndGrads(model, optimizer, mb.rows, { ...opts, seed: mb.seed });
    if (!sum || !lossSum) {
      sum = grads;
      lossSum = loss;
      continue;
    }
    for (const [k, g] of grads) {
      const prev = sum.get(k)!;
      sum.set(k, tf.add(prev, g));
      tf.dispose([prev, g]);
    }
    const prevLoss: tf.Scalar = lossSum;
    lossSum = tf.add(prevLoss, loss) as tf.Scalar;
    tf.dispose([prevLoss, loss]);
  }
  if (!sum || !lossSum) throw new Error('optimizerStep: no micro-batches');
  const n = micro.length;
  // Each micro-batch loss is a mean, so the step's gradient is the mean of theirs (as HF divides by accumulation steps).
  if (n > 1) {
    for (const [k, g] of sum) {
      sum.set(k, tf.div(g, n));
      g.dispose();
    }
  }
  const { norm, coef } = clipCoefficient([...sum.values()], opts.clipNorm);
  optimizer.apply(sum, opts.lr, { scale: coef, consume: true }); // frees each gradient once used
  coef.dispose();
  const loss = n === 1 ? lossSum : (tf.div(lossSum, n) as tf.Scalar);
  if (loss !== lossSum) lossSum.dispose();
  return { loss, norm };
}
