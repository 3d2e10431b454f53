// The fine-tuning loop, minGPT's trainer in spirit: it knows the model only through
// TrainableModel (logical parameters, hidden states, the loss) and the data only through the
// Corpus; it emits events (step, eval) that telemetry, checkpoints and the UI hang off.
//
// One optimizer step = gradAccum micro-batches of [B, T]: loss and gradients of each (chunked
// cross-entropy), averaged, clipped to global norm clipNorm, AdamW at the scheduled rate.
// Nothing is read back synchronously: each step's loss stays on the device until a batch of
// them is read with one await every lossReadEvery steps.
import * as tf from '@tensorflow/tfjs';
import type { Corpus, DataPosition } from '../dataset/corpus.ts';
import { AdamW, type Param } from './adamw.ts';
import { batchSeed } from '../model/dropout.ts';
import { readParameter, sliceShares, type WeightTensor } from '../model/parameters.ts';
import { optimizerStep, splitRows, type TrainableModel } from './step.ts';
import { learningRate } from './schedule.ts';
import type { TrainConfig } from './config.ts';

export interface StepEvent {
  type: 'step';
  step: number; // optimizer steps done, 1-based for the step just finished
  totalSteps: number;
  epoch: number; // epoch the step belonged to (0-based)
  loss: number;
  gradNorm: number; // before clipping
  lr: number;
  tokensPerSec: number; // over the last read-back window
  etaSec: number;
}
export interface EvalEvent {
  type: 'eval';
  step: number;
  epoch: number; // the epoch that just ended
  valLoss: number;
}
export type TrainerEvent = StepEvent | EvalEvent;

/** One logical parameter in a training state: its whole value and AdamW moments. */
export interface ParamState {
  key: string; // the logical name (wte.weight, h.0.attn.c_attn.weight, ...)
  shape: number[];
  data: Float32Array;
  m: Float32Array; // AdamW first moment
  v: Float32Array; // AdamW second moment
}

/**
 * Everything needed to continue exactly: weights, moments, step, data position, RNG state. With
 * adapters (LoRA) the params are the adapters' alone and `adapters` records their settings: the
 * base weights are the loaded model's, unchanged by training.
 */
export interface TrainerState {
  step: number;
  adamStep: number;
  position: DataPosition; // where the next step's data comes from
  rng: { seed: number; step: number }; // dropout masks and shuffles derive from (seed, step, epoch)
  params: ParamState[];
  /** The attached adapters' record (AdapterSet.record); absent when the whole model trains. */
  adapters?: Readonly<Record<string, unknown>>;
  losses: { step: number; loss: number }[];
  valLosses: { step: number; epoch: number; loss: number }[];
}

/** The weights of a training state by logical name (what a model is built from). */
export function weightsFromState(state: TrainerState): Map<string, WeightTensor> {
  if (state.adapters) throw new Error('this checkpoint holds LoRA adapters only: load the base model, attach the adapters, then restore it');
  return new Map(state.params.map((p) => [p.key, { shape: p.shape, data: p.data }]));
}

/** AdamW's parameters: each slice of each trainable parameter (the adapters' when attached), keyed by its variable's name. */
export function trainableParams(model: TrainableModel): Param[] {
  return model.trainable().flatMap((p) => p.slices.map((variable) => ({ key: variable.name, variable, decay: p.decay })));
}

type Listener = (e: TrainerEvent) => void;

export class Trainer {
  readonly params: Param[];
  readonly optimizer: AdamW;
  /** Optimizer steps done. */
  step = 0;
  readonly losses: { step: number; loss: number }[] = [];
  readonly valLosses: { step: number; epoch: number; loss: number }[] = [];
  private listeners: Listener[] = [];
  private pending: { step: number; epoch: number; lr: number; loss: tf.Scalar; norm: tf.Scalar }[] = [];
  private lastRead = { time: 0, step: 0 };
  private secPerStep = 0;

  constructor(
    readonly model: TrainableModel,
    readonly corpus: Corpus,
    readonly config: TrainConfig,
  ) {
    this.params = trainableParams(model);
    this.optimizer = new AdamW(this.params, { weightDecay: config.weightDecay });
  }

  get totalSteps(): number {
    return this.corpus.sizes.totalSteps;
  }
  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  on(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }
  private emit(e: TrainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Runs one optimizer step. Its loss is reported (as an event) at the next read-back. */
  trainStep(): void {
    if (this.done) throw new Error('training is already complete');
    const pos = this.corpus.locate(this.step);
    const accum = this.corpus.opts.gradAccum;
    const lr = learningRate(this.step, { lr: this.config.lr, warmupSteps: this.config.warmupSteps, totalSteps: this.totalSteps });
    const micro = Array.from({ length: accum }, (_, m) => ({
      rows: this.corpus.batch(pos, m),
      // Dropout masks are a function of (seed, step, micro): a resumed run draws the same ones.
      seed: batchSeed(this.config.seed, this.step, m),
    }));
    const { loss, norm } = optimizerStep(this.model, this.optimizer, micro, {
      batchSize: this.corpus.opts.batchSize,
      blockSize: this.corpus.opts.blockSize,
      lr,
      clipNorm: this.config.clipNorm,
      training: this.config.dropout,
      recompute: this.config.recompute,
    });
    this.step++;
    this.pending.push({ step: this.step, epoch: pos.epoch, lr, loss, norm });
  }

  /** Reads every pending loss back (one await for all of them) and emits their step events. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const stacked = tf.tidy(() => tf.stack(batch.flatMap((p) => [p.loss, p.norm])));
    tf.dispose(batch.flatMap((p) => [p.loss, p.norm]));
    const values = await stacked.data(); // the read-back: asynchronous, waits for the device
    stacked.dispose();
    const now = performance.now();
    const steps = batch[batch.length - 1].step - this.lastRead.step;
    if (this.lastRead.time > 0 && steps > 0) this.secPerStep = (now - this.lastRead.time) / 1000 / steps;
    this.lastRead = { time: now, step: batch[batch.length - 1].step };
    const tokensPerSec = this.secPerStep > 0 ? this.corpus.sizes.tokensPerStep / this.secPerStep : 0;
    batch.forEach((p, i) => {
      const loss = values[2 * i];
      this.losses.push({ step: p.step, loss });
      this.emit({
        type: 'step',
        step: p.step,
        totalSteps: this.totalSteps,
        epoch: p.epoch,
        loss,
        gradNorm: values[2 * i + 1],
        lr: p.lr,
        tokensPerSec,
        etaSec: this.secPerStep * (this.totalSteps - p.step),
      });
    });
  }

  /** Mean next-token loss over the validation blocks (NaN when there is no validation split). */
  async evaluate(): Promise<number> {
    const blocks = this.corpus.validationBlocks();
    if (blocks.length === 0) return NaN;
    const B = this.corpus.opts.batchSize;
    let total: tf.Scalar = tf.scalar(0);
    let count = 0;
    // Rows of equal length go together, B at a time; the shorter tail runs alone.
    for (let i = 0; i < blocks.length; ) {
      const len = blocks[i].length;
      const group: Int32Array[] = [];
      while (i < blocks.length && group.length < B && blocks[i].length === len) group.push(blocks[i++]);
      const rows = new Int32Array(group.length * len);
      group.forEach((g, j) => rows.set(g, j * len));
      const next = tf.tidy(() => {
        const { x, y } = splitRows(rows, group.length, len);
        const h = this.model.hidden(x, { training: false }); // [b*T, C]
        return tf.add(total, tf.sum(this.model.tokenLosses(h, y))) as tf.Scalar;
      });
      total.dispose();
      total = next;
      count += group.length * (len - 1);
    }
    const sum = (await total.data())[0]; // read-back, asynchronous
    total.dispose();
    return sum / count;
  }

  /**
   * Trains until done or `signal` aborts (after the step in flight). Losses are read back every
   * lossReadEvery steps; at each epoch's end the validation loss is computed and emitted;
   * `afterStep` (checkpoints) runs between steps, after the losses so far have been read.
   */
  async run(opts: { signal?: AbortSignal; afterStep?: (step: number) => Promise<void> } = {}): Promise<void> {
    this.lastRead = { time: performance.now(), step: this.step };
    while (!this.done && !opts.signal?.aborted) {
      const epoch = this.corpus.locate(this.step).epoch;
      this.trainStep();
      const epochEnded = this.done || this.corpus.locate(this.step).epoch !== epoch;
      const wantsHook = opts.afterStep && (this.step % this.config.checkpointEvery === 0 || this.done);
      if (this.pending.length >= this.config.lossReadEvery || epochEnded || wantsHook) await this.flush();
      if (epochEnded) {
        const valLoss = await this.evaluate();
        this.valLosses.push({ step: this.step, epoch, loss: valLoss });
        this.emit({ type: 'eval', step: this.step, epoch, valLoss });
      }
      if (wantsHook) await opts.afterStep!(this.step);
      else await new Promise((r) => setTimeout(r, 0)); // let pause/cancel messages in
    }
    await this.flush();
  }

  /** A full copy of the training state (reads every weight and moment back: a sync point). */
  async snapshot(): Promise<TrainerState> {
    await this.flush();
    const params: ParamState[] = [];
    const moment = (which: Map<string, tf.Variable>) => async (v: tf.Variable) => (await which.get(v.name)!.data()) as Float32Array;
    for (const p of this.model.trainable()) {
      params.push({
        key: p.name,
        shape: p.shape.slice(),
        data: await readParameter(p),
        m: await readParameter(p, moment(this.optimizer.m)),
        v: await readParameter(p, moment(this.optimizer.v)),
      });
    }
    return {
      step: this.step,
      adamStep: this.optimizer.step,
      position: this.corpus.locate(this.step),
      rng: { seed: this.config.seed, step: this.step },
      params,
      ...(this.model.adapters ? { adapters: this.model.adapters.record } : {}),
      losses: this.losses.slice(),
      valLosses: this.valLosses.slice(),
    };
  }

  /**
   * Continues from a snapshot: same weights, moments, step and loss history. Parameters are
   * matched by logical name and shape, whatever slices this device holds them in.
   */
  restore(state: TrainerState): void {
    if (state.rng.seed !== this.config.seed) throw new Error('checkpoint was made with another seed');
    const want = this.model.adapters ? JSON.stringify(this.model.adapters.record) : undefined;
    const got = state.adapters ? JSON.stringify(state.adapters) : undefined;
    if (got !== want) throw new Error(`checkpoint has ${got ? `adapters ${got}` : 'no adapters'}, the model ${want ? `adapters ${want}` : 'none'}`);
    const byKey = new Map(state.params.map((p) => [p.key, p]));
    for (const p of this.model.trainable()) {
      const s = byKey.get(p.name);
      const fits = s && s.shape.length === p.shape.length && s.shape.every((d, i) => d === p.shape[i]);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (!s || !fits || [s.data, s.m, s.v].some((a) => a.length !== size)) throw new Error(`checkpoint does not match the model at ${p.name}`);
      const [data, m, v] = [s.data, s.m, s.v].map((a) => sliceShares(p, a));
      p.slices.forEach((variable, i) =>
        tf.tidy(() => {
          variable.assign(tf.tensor(data[i], variable.shape, 'float32'));
          this.optimizer.m.get(variable.name)!.assign(tf.tensor(m[i], variable.shape, 'float32'));
          this.optimizer.v.get(variable.name)!.assign(tf.tensor(v[i], variable.shape, 'float32'));
        }),
      );
    }
    this.step = state.step;
    this.optimizer.step = state.adamStep;
    this.losses.splice(0, this.losses.length, ...state.losses);
    this.valLosses.splice(0, this.valLosses.length, ...state.valLosses);
  }

  dispose(): void {
    tf.dispose(this.pending.flatMap((p) => [p.loss, p.norm]));
    this.pending = [];
    this.optimizer.dispose();
  }
}
