// LoRA's settings (Hu et al. 2021, as PEFT's LoraConfig names them): rank r, lora_alpha (the
// update is scaled by alpha / r), dropout on the adapter's input, and the target modules (the
// last part of a linear map's name: GPT-2's c_attn, Llama's q_proj, ...). Settings come from a
// form or a checkpoint: every one is checked, with one readable line on failure.
import { PEFT_DEFAULT_TARGETS } from './targets.ts';

export interface LoraConfig {
  r: number;
  alpha: number;
  /** Dropout rate on the adapter's input x (PEFT's lora_dropout), in [0, 1). */
  dropout: number;
  /** Module names matched as PEFT does: the whole module path, or its end after a dot. */
  targets: string[];
}

/** PEFT's LoraConfig defaults: r 8, lora_alpha 8, lora_dropout 0. */
export const LORA_DEFAULTS = { r: 8, alpha: 8, dropout: 0 } as const;

/** Largest rank accepted: PEFT allows any, but past this an adapter is no longer small. */
export const MAX_RANK = 1024;
const MAX_TARGETS = 64;
const TARGET = /^[A-Za-z0-9_.]{1,100}$/;

/** LoRA for a model_type: PEFT's defaults (its default targets included) with `over` on top, checked. */
export function loraConfig(modelType: string, over: Partial<LoraConfig> = {}): LoraConfig {
  const targets = over.targets ?? PEFT_DEFAULT_TARGETS[modelType];
  if (!targets) throw new Error(`LoRA: no default target modules for model_type "${modelType.slice(0, 40)}": name them`);
  return checkLoraConfig({ ...LORA_DEFAULTS, ...over, targets: [...targets] });
}

/** `c` if every setting is in range, else one line naming the first that is not. */
export function checkLoraConfig(c: LoraConfig): LoraConfig {
  if (!Number.isInteger(c.r) || c.r < 1 || c.r > MAX_RANK) throw new Error(`LoRA: rank r must be a whole number from 1 to ${MAX_RANK} (got ${String(c.r).slice(0, 20)})`);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha) || c.alpha <= 0) throw new Error(`LoRA: alpha must be a positive number (got ${String(c.alpha).slice(0, 20)})`);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw new Error(`LoRA: dropout must be in [0, 1) (got ${String(c.dropout).slice(0, 20)})`);
  if (!Array.isArray(c.targets) || c.targets.length === 0 || c.targets.length > MAX_TARGETS) throw new Error(`LoRA: name 1 to ${MAX_TARGETS} target modules`);
  for (const t of c.targets) if (typeof t !== 'string' || !TARGET.test(t)) throw new Error(`LoRA: target module ${JSON.stringify(t)?.slice(0, 40)} is not a module name`);
  return c;
}

/** alpha / r: LoraLayer.update_layer's scaling (use_rslora off). */
export const loraScaling = (c: LoraConfig) => c.alpha / c.r;

/** What a checkpoint records of LoRA (PEFT's names), and its inverse. */
export function loraRecord(c: LoraConfig): Record<string, unknown> {
  return { peft_type: 'LORA', r: c.r, lora_alpha: c.alpha, lora_dropout: c.dropout, target_modules: [...c.targets] };
}

/** The LoraConfig of a checkpoint's record (untrusted: checked). */
export function loraConfigFromRecord(record: unknown): LoraConfig {
  const o = (record ?? {}) as Record<string, unknown>;
  if (typeof record !== 'object' || o.peft_type !== 'LORA') throw new Error('LoRA: the checkpoint records no LoRA adapters');
  return checkLoraConfig({ r: o.r as number, alpha: o.lora_alpha as number, dropout: o.lora_dropout as number, targets: o.target_modules as string[] });
}
