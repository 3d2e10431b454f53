// Full fine-tuning or LoRA, chosen by memory before Start: both estimated for the loaded model at
// the run's block and batch (memory-estimate.ts; LoRA with PEFT's default targets at the rank
// set), each against the device (its WebGPU buffers, and the bytes training may use here). LoRA
// is the default where full fine-tuning does not fit; where both fit, the person's choice stands.
import { PEFT_DEFAULT_TARGETS } from '../lora/targets.ts';
import { FAMILY_SHAPES } from '../model/family-shapes.ts';
import { deviceFit, estimateMemory, type DeviceLimits, type MemoryEstimate } from '../model/memory-estimate.ts';
import { TRAIN_SETTINGS, withinBounds, type TrainConfig } from './config.ts';

/** What the page knows of this device (the model picker's PickerDevice). */
export interface TrainDevice {
  /** WebGPU's adapter limits; null without WebGPU. */
  limits: DeviceLimits | null;
  /** Bytes training may use here (the picker's trainingBudget). */
  budget: number;
}

export interface MemoryChoice {
  full: MemoryEstimate;
  fullFits: boolean;
  /** null where the family has no default LoRA targets. */
  lora: MemoryEstimate | null;
  loraFits: boolean;
  /** What the LoRA switch says until the person sets it: on where full fine-tuning does not fit. */
  loraByDefault: boolean;
  /** Both, against the device, in one line. */
  line: string;
}

function fits(est: MemoryEstimate, device: TrainDevice): boolean {
  return deviceFit(est, device.limits).ok && est.trainingBytes <= device.budget;
}

/** Decimal units, as the model picker gives them: "≈ 2.2 GB", "≈ 310 MB". */
function approx(bytes: number): string {
  return bytes >= 1e9 ? `≈ ${(bytes / 1e9).toFixed(1)} GB` : `≈ ${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/**
 * Full fine-tuning's and LoRA's memory for a loaded model (`config`: the family's parsed config,
 * as the 'loaded' event carries it) at `settings`' block, batch and rank; null for a model_type
 * this app cannot size. A rank out of bounds (being typed) is sized at the default rank.
 */
export function memoryChoice(modelType: string, config: unknown, settings: Pick<TrainConfig, 'blockSize' | 'batchSize' | 'loraRank'>, device: TrainDevice): MemoryChoice | null {
  const family = Object.hasOwn(FAMILY_SHAPES, modelType) ? FAMILY_SHAPES[modelType] : null;
  if (!family || config === null || typeof config !== 'object') return null;
  const whole = (v: number, fallback: number) => (Number.isInteger(v) && v >= 1 ? v : fallback);
  const shape = { block: whole(settings.blockSize, TRAIN_SETTINGS.blockSize.default), batch: whole(settings.batchSize, TRAIN_SETTINGS.batchSize.default) };
  const rank = withinBounds(settings.loraRank, TRAIN_SETTINGS.loraRank.bounds!) ? settings.loraRank : TRAIN_SETTINGS.loraRank.default;
  const full = estimateMemory(family, config, shape);
  const targets = PEFT_DEFAULT_TARGETS[modelType];
  const lora = targets ? estimateMemory(family, config, { ...shape, lora: { rank, targets } }) : null;
  const fullFits = fits(full, device);
  const loraFits = lora !== null && fits(lora, device);
  const room = device.limits ? `this device gives ${approx(device.budget)}` : `this tab may use ${approx(device.budget)} (no WebGPU)`;
  const say = (what: string, est: MemoryEstimate, ok: boolean) => `${what} ${approx(est.trainingBytes)}${ok ? '' : ' (does not fit)'}`;
  const parts = [say('full fine-tuning', full, fullFits), ...(lora ? [say(`LoRA r${rank}`, lora, loraFits)] : [])];
  const line = `Training memory at ${full.batch}×${full.block}: ${parts.join(', ')}; ${room}.`;
  return { full, fullFits, lora, loraFits, loraByDefault: lora !== null && !fullFits, line: line.charAt(0).toUpperCase() + line.slice(1) };
}

/** Whether a run trains LoRA: the person's choice once made, else the memory-aware default (off when nothing is known). */
export function loraSetting(chosen: boolean | null, memory: MemoryChoice | null): boolean {
  return chosen ?? memory?.loraByDefault ?? false;
}
