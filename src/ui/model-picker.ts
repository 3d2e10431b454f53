// What the page's model picker shows before anything downloads: each preset's download size
// and training memory at the default run's shape against what this device can give (full
// fine-tuning, and LoRA where full does not fit), the choice `?model=` carries, and the hint
// for an archive whose kept tweets are mostly not English. No DOM, no tfjs: the page imports
// it on arrival. Here rather than in lib/model because it reads LoRA's default targets (lib/lora).
import { NO_LANGUAGE } from '../lib/dataset/languages.ts';
import type { GpuReport } from '../lib/gpu-info.ts';
import { PEFT_DEFAULT_TARGETS } from '../lib/lora/targets.ts';
import { familyShapeOf } from '../lib/model/family-shapes.ts';
import { deviceFit, estimateMemory, TAB_MEMORY_CEILING, WASM_HEAP_BYTES, type DeviceLimits, type MemoryEstimate } from '../lib/model/memory-estimate.ts';
import { isHubId } from '../lib/model/model-url.ts';
import { findPreset, MODEL_PRESETS, type ModelPreset } from '../lib/model/presets.ts';

/** The rank the picker sizes LoRA at (issue 22's goal: Qwen2.5-0.5B at r16 under 3 GB). */
export const PICKER_LORA_RANK = 16;

/** What the page knows of this device before a model loads. */
export interface PickerDevice {
  /** WebGPU's adapter limits (gpu-info.ts); null without WebGPU. */
  limits: DeviceLimits | null;
  /** Bytes training may use here (trainingBudget). */
  budget: number;
}

/**
 * Bytes training may count on: navigator.deviceMemory (GiB of RAM, which browsers round down
 * and cap at 8) where the browser reports it, within what one tab can hold. No browser reports
 * a GPU's own memory; a laptop GPU shares or rivals that RAM figure.
 */
export function trainingBudget(deviceMemoryGiB: number | undefined, ceiling = TAB_MEMORY_CEILING): number {
  const ram = typeof deviceMemoryGiB === 'number' && deviceMemoryGiB > 0 ? deviceMemoryGiB * 2 ** 30 : Infinity;
  return Math.min(ram, ceiling);
}

/** The ceiling for a run on `backend` (the model worker's): WASM's heap on wasm, what a tab holds elsewhere. */
export function backendCeiling(backend: string | undefined): number {
  return backend === 'wasm' ? WASM_HEAP_BYTES : TAB_MEMORY_CEILING;
}

/**
 * The device training memory is told against, for the picker and the run alike: the WebGPU
 * check's buffer limits (null without WebGPU) and the budget on the worker's backend.
 */
export function trainingDevice(gpu: GpuReport | null, backend: string | undefined, deviceMemoryGiB: number | undefined): PickerDevice {
  return {
    limits: gpu?.ok ? { maxStorageBufferBindingSize: gpu.adapter.limits.maxStorageBufferBindingSize, maxBufferSize: gpu.adapter.limits.maxBufferSize } : null,
    budget: trainingBudget(deviceMemoryGiB, backendCeiling(backend)),
  };
}

/** Decimal units, as download sizes are given: "≈ 328 MB", "≈ 9.6 GB". */
export function formatApprox(bytes: number): string {
  if (bytes >= 1e9) return `≈ ${(bytes / 1e9).toFixed(1)} GB`;
  return `≈ ${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

export interface PresetView {
  preset: ModelPreset;
  /** The Hub's model.safetensors: parameters x the file's bytes a parameter (+ GPT-2's mask buffers). */
  downloadBytes: number;
  full: MemoryEstimate;
  /** Full fine-tuning fits this device: its buffers, and the training budget. */
  fullFits: boolean;
  /** LoRA at PICKER_LORA_RANK with PEFT's default targets, where full fine-tuning does not fit. */
  lora: MemoryEstimate | null;
  loraFits: boolean;
  /** "≈ 328 MB download". */
  sizeLine: string;
  /** Training memory in words, against the device. */
  memoryLine: string;
}

/**
 * The Hub's GPT-2 files also carry each block's causal mask (`attn.bias`, float32
 * [1, 1, n_positions, n_positions]), a constant the loader drops but the download includes.
 */
function maskBufferBytes(modelType: string, config: unknown): number {
  if (modelType !== 'gpt2') return 0;
  const c = config as { n_layer: number; n_positions: number };
  return c.n_layer * c.n_positions ** 2 * 4;
}

function fits(est: MemoryEstimate, device: PickerDevice): boolean {
  return deviceFit(est, device.limits).ok && est.trainingBytes <= device.budget;
}

/** Sizes and memory of one preset against this device. */
export function presetView(preset: ModelPreset, device: PickerDevice): PresetView {
  const family = familyShapeOf(preset.config);
  const config = family.parseConfig(preset.config);
  const full = estimateMemory(family, config);
  const fullFits = fits(full, device);
  const lora = fullFits ? null : estimateMemory(family, config, { lora: { rank: PICKER_LORA_RANK, targets: PEFT_DEFAULT_TARGETS[family.modelType] } });
  const loraFits = lora !== null && fits(lora, device);
  const downloadBytes = full.params * preset.fileBytesPerParam + maskBufferBytes(family.modelType, config);
  const shape = `${full.batch}×${full.block}`;
  let memoryLine = `trains in ${formatApprox(full.trainingBytes)} at ${shape}`;
  if (lora) {
    const room = deviceFit(full, device.limits).ok ? `more than this device gives (${formatApprox(device.budget)})` : 'past this GPU\'s buffers';
    memoryLine = `full fine-tuning needs ${formatApprox(full.trainingBytes)} at ${shape}, ${room}; LoRA r${PICKER_LORA_RANK} ${formatApprox(lora.trainingBytes)}${loraFits ? '' : ', also too much here'}`;
  }
  return { preset, downloadBytes, full, fullFits, lora, loraFits, sizeLine: `${formatApprox(downloadBytes)} download`, memoryLine };
}

/** What the picker has chosen: a preset (by label), any Hub id, or a folder URL given in `?model=`. */
export type ModelChoice = { kind: 'preset'; preset: ModelPreset } | { kind: 'hub'; id: string } | { kind: 'url'; url: string };

/** The choice `?model=` names (null: the default, distilgpt2). */
export function choiceOf(param: string | null): ModelChoice {
  if (param === null || param === '') return { kind: 'preset', preset: MODEL_PRESETS[0] };
  const preset = findPreset(param);
  if (preset) return { kind: 'preset', preset };
  if (isHubId(param)) return { kind: 'hub', id: param };
  return { kind: 'url', url: param };
}

/** What `?model=` carries for a choice: the Hub id, or the URL as given. */
export function modelParam(choice: ModelChoice): string {
  return choice.kind === 'preset' ? choice.preset.id : choice.kind === 'hub' ? choice.id : choice.url;
}

/** Why a typed Hub id cannot be used, or null when it can. */
export function hubIdProblem(id: string): string | null {
  const s = id.trim();
  if (s === '') return 'type a model id, such as Qwen/Qwen2.5-0.5B';
  return isHubId(s) ? null : `"${s.slice(0, 80)}" is not a Hub model id (owner/name, letters, digits, - _ .)`;
}

export interface LanguageShare {
  lang: string;
  count: number;
  /** Of the kept tweets with a language. */
  share: number;
}

const isEnglish = (lang: string) => lang === 'en' || lang.startsWith('en-');

/** Kept tweets' languages, most frequent first, without Twitter's pseudo-languages (und, qme, zxx, ...). */
export function languageShares(counts: Readonly<Record<string, number>>): LanguageShare[] {
  const real = Object.entries(counts)
    .map(([lang, count]) => [lang.toLowerCase(), count] as const)
    .filter(([lang, count]) => !NO_LANGUAGE.has(lang) && Number.isFinite(count) && count > 0);
  const total = real.reduce((n, [, c]) => n + c, 0);
  return real.map(([lang, count]) => ({ lang, count, share: count / total })).sort((a, b) => b.count - a.count || (a.lang < b.lang ? -1 : 1));
}

/** "Japanese" for 'ja' (the tag itself where the browser has no name for it). */
export function languageName(lang: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(lang) ?? lang;
  } catch {
    return lang;
  }
}

export interface LanguageHint {
  /** The line the page shows. */
  line: string;
  /** The multilingual preset suggested, or null when the choice already is one. */
  suggest: ModelPreset | null;
}

/**
 * When most kept tweets (with a language) are not English: the line saying so, and the
 * multilingual preset to switch to unless the chosen model already is one. Null otherwise.
 */
export function languageHint(counts: Readonly<Record<string, number>>, chosen: ModelChoice): LanguageHint | null {
  const shares = languageShares(counts);
  const other = shares.filter((s) => !isEnglish(s.lang));
  const otherShare = other.reduce((n, s) => n + s.share, 0);
  if (other.length === 0 || otherShare <= 0.5) return null;
  const top = other.slice(0, 3).map((s) => `${languageName(s.lang)} ${Math.round(100 * s.share)} %`).join(', ');
  const multilingual = MODEL_PRESETS.find((p) => p.multilingual) ?? null;
  const chosenMultilingual = chosen.kind === 'preset' && chosen.preset.multilingual;
  const head = `Most kept tweets are not in English (${top}).`;
  if (chosenMultilingual || !multilingual) return { line: `${head} ${chosen.kind === 'preset' ? chosen.preset.label : 'The chosen model'} is multilingual.`, suggest: null };
  const now = chosen.kind === 'preset' ? `${chosen.preset.label} learned English only; ` : '';
  return { line: `${head} ${now}${multilingual.label} knows many languages.`, suggest: multilingual };
}
