// Fine-tuning settings, with huggingtweets' / Hugging Face Trainer's defaults.

export interface TrainConfig {
  blockSize: number; // T: tokens of context per row (256)
  batchSize: number; // B: rows per micro-batch (4)
  gradAccum: number; // micro-batches per optimizer step (1)
  epochs: number; // passes over the upsampled corpus (4)
  lr: number; // peak learning rate (1.372e-4, huggingtweets)
  warmupSteps: number; // linear warmup before the cosine decay (0)
  weightDecay: number; // AdamW decoupled decay on 2-D weights (0: HF Trainer's default)
  clipNorm: number; // global gradient-norm clip (1.0)
  seed: number; // data shuffles and dropout masks derive from it
  dropout: boolean; // train with the config's dropout rates (true); off for golden tests
  lossReadEvery: number; // read losses back every this many steps, asynchronously (4)
  checkpointEvery: number; // steps between checkpoints (50; one is also written at the end)
  valFraction: number; // share of each account's tweets held out for validation (0.1)
  recompute: boolean; // recompute each block's activations in backward: far less memory, ~+33% compute (true)
}

export const TRAIN_DEFAULTS: TrainConfig = {
  blockSize: 256,
  batchSize: 4,
  gradAccum: 1,
  epochs: 4,
  lr: 1.372e-4,
  warmupSteps: 0,
  weightDecay: 0,
  clipNorm: 1.0,
  seed: 42,
  dropout: true,
  lossReadEvery: 4,
  checkpointEvery: 50,
  valFraction: 0.1,
  recompute: true,
};

/** How the page labels each setting a person can set, for messages. */
const LABELS: Partial<Record<keyof TrainConfig, string>> = {
  blockSize: 'Block size',
  batchSize: 'Batch size',
  gradAccum: 'Gradient accumulation',
  epochs: 'Epochs',
  lr: 'Learning rate',
  warmupSteps: 'Warmup steps',
  weightDecay: 'Weight decay',
  clipNorm: 'Gradient clip',
  seed: 'Seed',
  lossReadEvery: 'Loss read interval',
  checkpointEvery: 'Checkpoint every',
};

/** ", not 2.5", or " (the field is empty)" for what an emptied number field gives. */
function got(v: unknown): string {
  return v === null || v === undefined || v === '' || Number.isNaN(v) ? ' (the field is empty)' : `, not ${v}`;
}

/** Fills defaults and refuses values that cannot train, with a message naming the setting as the page does. */
export function resolveTrainConfig(partial: Partial<TrainConfig>, nPositions?: number): TrainConfig {
  const c = { ...TRAIN_DEFAULTS, ...partial };
  const intAtLeast = (k: keyof TrainConfig, min: number) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`${LABELS[k]} must be a whole number of at least ${min}${got(v)}.`);
  };
  const positive = (k: keyof TrainConfig, orZero = false) => {
    const v = c[k] as number;
    if (typeof v !== 'number' || !(orZero ? v >= 0 : v > 0)) throw new Error(`${LABELS[k]} must be ${orZero ? '0 or more' : 'more than 0'}${got(v)}.`);
  };
  intAtLeast('blockSize', 2);
  intAtLeast('batchSize', 1);
  intAtLeast('gradAccum', 1);
  intAtLeast('epochs', 1);
  intAtLeast('warmupSteps', 0);
  intAtLeast('lossReadEvery', 1);
  intAtLeast('checkpointEvery', 1);
  intAtLeast('seed', 0);
  if (nPositions !== undefined && c.blockSize > nPositions) {
    throw new Error(`Block size can be at most ${nPositions} tokens, the model's context, not ${c.blockSize}.`);
  }
  positive('lr');
  positive('weightDecay', true);
  positive('clipNorm');
  return c;
}

/** What is wrong with these settings, in one line; null when they can train. */
export function trainSettingsProblem(partial: Partial<TrainConfig>, nPositions?: number): string | null {
  try {
    resolveTrainConfig(partial, nPositions);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
