// How the worker sizes the model's tensors for training, and counts its parameters.
import type { ModelFamily } from '../../lib/model/family.ts';
import { defaultMaxBufferBytes } from '../../lib/model/causal-lm.ts';
import { LOSS_PIECE_ROWS } from '../../lib/model/loss.ts';
import { countParams } from '../../lib/model/param-count.ts';
import { loraConfig, type LoraConfig } from '../../lib/lora/config.ts';
import { loraModules } from '../../lib/lora/modules.ts';
import type { TrainConfig } from '../../lib/train/config.ts';

export { weightsFromState } from '../../lib/train/trainer.ts';

/** Every parameter of the family's table, counted (tied tables once). */
export function paramCountOf(family: ModelFamily, config: unknown): number {
  return countParams(family.paramTable(config));
}

/**
 * The largest tensor the model may hold: the device's limit, and no more than LOSS_PIECE_ROWS
 * rows of a vocabulary table, so each slice is one piece of the chunked loss (its [B*T, rows]
 * logits stay small) and AdamW's per-parameter temporaries stay slice-sized; but never less
 * than the largest tensor a model cannot split (GPT-2's MLP [C, 4C], gpt2-xl's 41 MB; Qwen2.5's
 * [I, C] MLP projections).
 */
export function trainingChunkBytes(family: ModelFamily, config: unknown): number {
  const C = family.dims(config).width;
  const whole = family.paramTable(config).filter((p) => !p.vocabRows).reduce((m, p) => Math.max(m, countParams([p])), 0);
  return Math.min(defaultMaxBufferBytes(), Math.max(LOSS_PIECE_ROWS * C, whole) * 4);
}

/** The adapters a run of `train` attaches to this base (PEFT's default targets for its model_type); null for full fine-tuning. */
export function runLoraConfig(family: ModelFamily, train: Pick<TrainConfig, 'lora' | 'loraRank' | 'loraAlpha'>): LoraConfig | null {
  // lora_dropout 0, PEFT's default: the adapter path draws no masks of its own.
  return train.lora ? loraConfig(family.modelType, { r: train.loraRank, alpha: train.loraAlpha, dropout: 0 }) : null;
}

/** Parameters a run trains, and so stores in each checkpoint: every one, or the adapters' alone (r x (in + out) each). */
export function trainedCountOf(family: ModelFamily, config: unknown, lora: LoraConfig | null): number {
  if (!lora) return paramCountOf(family, config);
  return loraModules(family, config, lora.targets).reduce((n, m) => n + lora.r * (m.in + m.out), 0);
}
