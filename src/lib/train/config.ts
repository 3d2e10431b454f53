// Fine-tuning settings, with huggingtweets' / Hugging Face Trainer's defaults: one table
// (label, default, bounds, help) that validation, the page's inputs and the model card read.

export interface TrainConfig {
  blockSize: number; // T: tokens of context per row
  batchSize: number; // B: rows per micro-batch
  gradAccum: number; // micro-batches per optimizer step
  epochs: number; // passes over the upsampled corpus
  lr: number; // peak learning rate
  warmupSteps: number; // linear warmup before the cosine decay
  weightDecay: number; // AdamW decoupled decay on 2-D weights
  clipNorm: number; // global gradient-norm clip
  seed: number; // data shuffles and dropout masks derive from it
  dropout: boolean; // train with the config's dropout rates; off for golden tests
  lossReadEvery: number; // read losses back every this many steps, asynchronously
  checkpointEvery: number; // steps between checkpoints (one is also written at the end)
  valFraction: number; // share of each account's tweets held out for validation
  recompute: boolean; // recompute each block's activations in backward: far less memory, ~+33% compute
  lora: boolean; // train low-rank adapters beside the frozen base (lib/lora) instead of every weight
  loraRank: number; // LoRA's r
  loraAlpha: number; // LoRA's alpha: the adapters' update is scaled by alpha / r
}

/** A number setting's rule: whole or real, its least value (excluded when `exclusiveMin`) and its greatest. */
export interface NumberBounds {
  integer: boolean;
  min: number;
  exclusiveMin?: boolean;
  max?: number;
  /** The page input's step (1 for whole numbers). */
  step?: number;
}

export interface SettingSpec<V> {
  /** How the page and the model card name it. */
  label: string;
  /** What the page shows after the label, in parentheses. */
  unit?: string;
  default: V;
  help: string;
  /** Number settings only; a number setting without bounds is never checked. */
  bounds?: NumberBounds;
}

export type SettingsTable = { [K in keyof TrainConfig]: SettingSpec<TrainConfig[K]> };

const whole = (min: number, max?: number): NumberBounds => ({ integer: true, min, max, step: 1 });

export const TRAIN_SETTINGS: SettingsTable = {
  blockSize: { label: 'Block size', unit: 'tokens', default: 256, bounds: whole(2, 1024), help: 'Tokens of context per training row; at most the model’s context.' },
  batchSize: { label: 'Batch size', default: 4, bounds: whole(1, 64), help: 'Rows per micro-batch.' },
  gradAccum: { label: 'Gradient accumulation', default: 1, bounds: whole(1, 64), help: 'Micro-batches averaged into one optimizer step.' },
  epochs: { label: 'Epochs', default: 4, bounds: whole(1, 50), help: 'Passes over the corpus, every account upsampled to the largest.' },
  lr: { label: 'Learning rate', default: 1.372e-4, bounds: { integer: false, min: 0, exclusiveMin: true, step: 0.00001 }, help: 'Peak rate (huggingtweets’), after warmup, then a cosine decay.' },
  warmupSteps: { label: 'Warmup steps', default: 0, bounds: whole(0), help: 'Steps of linear warmup before the decay.' },
  weightDecay: { label: 'Weight decay', default: 0, bounds: { integer: false, min: 0, step: 0.01 }, help: 'AdamW’s decoupled decay on 2-D weights (0: the Hugging Face Trainer’s default).' },
  clipNorm: { label: 'Gradient clip', default: 1.0, bounds: { integer: false, min: 0, exclusiveMin: true, step: 0.1 }, help: 'Global gradient-norm clip.' },
  seed: { label: 'Seed', default: 42, bounds: whole(0), help: 'Data shuffles and dropout masks derive from it.' },
  dropout: { label: 'Dropout', default: true, help: 'Train with the model config’s dropout rates.' },
  lossReadEvery: { label: 'Loss read interval', unit: 'steps', default: 4, bounds: whole(1), help: 'Losses are read back from the device every this many steps.' },
  checkpointEvery: { label: 'Checkpoint every', unit: 'steps', default: 50, bounds: whole(1), help: 'Steps between checkpoints; one is also written on pause and at the end.' },
  valFraction: { label: 'Validation share', default: 0.1, bounds: { integer: false, min: 0, max: 0.5, step: 0.05 }, help: 'Share of each account’s tweets held out for validation.' },
  recompute: { label: 'Recompute activations', default: true, help: 'Recompute each block in backward: far less memory, about a third more compute.' },
  // r 16 / alpha 32 rather than PEFT's 8 / 8: the rank the model picker sizes LoRA at, and the
  // common alpha = 2r, whose update scale (2) lets huggingtweets' learning rate move the adapters.
  lora: { label: 'LoRA', default: false, help: 'Train low-rank adapters beside the frozen base weights: a fraction of full fine-tuning\'s memory.' },
  loraRank: { label: 'LoRA rank', default: 16, bounds: whole(1, 256), help: 'Rank r of each adapter (PEFT\'s r).' },
  loraAlpha: { label: 'LoRA alpha', default: 32, bounds: { integer: false, min: 0, exclusiveMin: true, max: 4096, step: 1 }, help: 'The adapters\' update is scaled by alpha / r (PEFT\'s lora_alpha).' },
};

/** The settings the page's form shows, in its order. */
export const PANEL_SETTINGS = ['blockSize', 'batchSize', 'gradAccum', 'epochs', 'lr', 'warmupSteps', 'weightDecay', 'checkpointEvery', 'seed', 'loraRank', 'loraAlpha'] as const;
export type PanelSetting = (typeof PANEL_SETTINGS)[number];

const KEYS = Object.keys(TRAIN_SETTINGS) as (keyof TrainConfig)[];

export const TRAIN_DEFAULTS: TrainConfig = Object.fromEntries(KEYS.map((k) => [k, TRAIN_SETTINGS[k].default])) as unknown as TrainConfig;

/** The page form's starting values: the table's defaults of its settings. */
export function panelDefaults(): Pick<TrainConfig, PanelSetting> {
  return Object.fromEntries(PANEL_SETTINGS.map((k) => [k, TRAIN_SETTINGS[k].default])) as Pick<TrainConfig, PanelSetting>;
}

/** A number input's attributes for a setting: the table's bounds, so the page offers what validation takes. */
export function inputAttributes(key: PanelSetting): { min: number; max: number | undefined; step: number } {
  const b = TRAIN_SETTINGS[key].bounds!;
  return { min: b.min, max: b.max, step: b.step ?? 1 };
}

/** What the page's label says: the label, and the unit in parentheses. */
export function inputLabel(key: PanelSetting): string {
  const { label, unit } = TRAIN_SETTINGS[key];
  return unit ? `${label} (${unit})` : label;
}

/** ", not 2.5", or " (the field is empty)" for what an emptied number field gives. */
function got(v: unknown): string {
  return v === null || v === undefined || v === '' || Number.isNaN(v) ? ' (the field is empty)' : `, not ${v}`;
}

/** The rule in words: "a whole number from 1 to 50", "more than 0", "0 or more". */
function ruleText(b: NumberBounds): string {
  if (b.integer) return b.max === undefined ? `a whole number of at least ${b.min}` : `a whole number from ${b.min} to ${b.max}`;
  const low = b.exclusiveMin ? `more than ${b.min}` : `${b.min} or more`;
  return b.max === undefined ? low : `${low} and at most ${b.max}`;
}

/** Whether `v` keeps to the bounds. */
export function withinBounds(v: unknown, b: NumberBounds): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (b.integer && !Number.isInteger(v)) return false;
  if (b.exclusiveMin ? v <= b.min : v < b.min) return false;
  return b.max === undefined || v <= b.max;
}

/** Fills defaults and refuses values that cannot train, with a message naming the setting as the page does. */
export function resolveTrainConfig(partial: Partial<TrainConfig>, nPositions?: number): TrainConfig {
  const c = { ...TRAIN_DEFAULTS, ...partial };
  for (const k of KEYS) {
    const { label, bounds } = TRAIN_SETTINGS[k];
    if (bounds && !withinBounds(c[k], bounds)) throw new Error(`${label} must be ${ruleText(bounds)}${got(c[k])}.`);
  }
  if (nPositions !== undefined && c.blockSize > nPositions) {
    throw new Error(`Block size can be at most ${nPositions} tokens, the model's context, not ${c.blockSize}.`);
  }
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
