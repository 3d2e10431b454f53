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

/** Fills defaults and refuses values that cannot train, with a message naming the setting. */
export function resolveTrainConfig(partial: Partial<TrainConfig>, nPositions?: number): TrainConfig {
  const c = { ...TRAIN_DEFAULTS, ...partial };
  const intAtLeast = (k: keyof TrainConfig, min: number) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`training setting ${k} must be an integer >= ${min}, got ${v}`);
  };
  intAtLeast('blockSize', 2);
  intAtLeast('batchSize', 1);
  intAtLeast('gradAccum', 1);
  intAtLeast('epochs', 1);
  intAtLeast('warmupSteps', 0);
  intAtLeast('lossReadEvery', 1);
  intAtLeast('checkpointEvery', 1);
  if (nPositions !== undefined && c.blockSize > nPositions) {
    throw new Error(`block size ${c.blockSize} exceeds the model's ${nPositions} positions`);
  }
  if (!(c.lr > 0)) throw new Error(`learning rate must be positive, got ${c.lr}`);
  if (!(c.weightDecay >= 0)) throw new Error(`weight decay must be >= 0, got ${c.weightDecay}`);
  if (!(c.clipNorm > 0)) throw new Error(`gradient clip must be positive, got ${c.clipNorm}`);
  return c;
}
