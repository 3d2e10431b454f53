// The memory-aware choice between full fine-tuning and LoRA before Start: both estimated for the
// loaded model at the run's block, batch and rank, against the device; LoRA by default only
// where full fine-tuning does not fit, and the person's choice standing where both fit.
import { describe, expect, it } from 'vitest';
import { FAMILY_SHAPES } from '../../src/lib/model/family-shapes.ts';
import { estimateMemory } from '../../src/lib/model/memory-estimate.ts';
import { findPreset } from '../../src/lib/model/presets.ts';
import { loraSetting, memoryChoice } from '../../src/lib/train/lora-choice.ts';
import { backendCeiling, trainingBudget } from '../../src/ui/model-picker.ts';

const GiB = 2 ** 30;
const bigGpu = { maxStorageBufferBindingSize: 2 * GiB, maxBufferSize: 4 * GiB };
/** A preset's config as the 'loaded' event carries it: parsed by its family. */
function loaded(label: string): { modelType: string; config: unknown } {
  const p = findPreset(label)!;
  const modelType = p.config.model_type as string;
  return { modelType, config: FAMILY_SHAPES[modelType].parseConfig(p.config) };
}
const run = { blockSize: 256, batchSize: 4, loraRank: 16 };

describe('memoryChoice', () => {
  it('sizes full fine-tuning and LoRA (PEFT\'s default targets, the rank set) at the run\'s block and batch', () => {
    const { modelType, config } = loaded('Qwen2.5-0.5B');
    const m = memoryChoice(modelType, config, { blockSize: 128, batchSize: 2, loraRank: 8 }, { limits: bigGpu, budget: 16 * GiB })!;
    const family = FAMILY_SHAPES.qwen2;
    expect(m.full.trainingBytes).toBe(estimateMemory(family, config, { block: 128, batch: 2 }).trainingBytes);
    expect(m.lora!.trainingBytes).toBe(estimateMemory(family, config, { block: 128, batch: 2, lora: { rank: 8, targets: ['q_proj', 'v_proj'] } }).trainingBytes);
    expect(m.lora!.trainingBytes).toBeLessThan(m.full.trainingBytes / 2);
    // The adapters' parameters: r x (in + out) for q (896 -> 896) and v (896 -> 128) in 24 layers.
    expect(m.lora!.lora!.params).toBe(24 * 8 * (896 + 896 + 896 + 128));
    const r64 = memoryChoice(modelType, config, { blockSize: 128, batchSize: 2, loraRank: 64 }, { limits: bigGpu, budget: 16 * GiB })!;
    expect(r64.lora!.trainingBytes).toBeGreaterThan(m.lora!.trainingBytes);
  });

  it('defaults to LoRA on WASM where full fine-tuning fits the RAM but not the 4 GiB heap (SmolLM2-360M)', () => {
    const smol = loaded('SmolLM2-360M');
    const onWasm = memoryChoice(smol.modelType, smol.config, run, { limits: null, budget: trainingBudget(8, backendCeiling('wasm')) })!;
    expect([onWasm.fullFits, onWasm.loraFits, onWasm.loraByDefault]).toEqual([false, true, true]);
    const onGpu = memoryChoice(smol.modelType, smol.config, run, { limits: bigGpu, budget: trainingBudget(8, backendCeiling('webgpu')) })!;
    expect(onGpu.fullFits).toBe(true);
  });

  it('defaults to LoRA where full fine-tuning does not fit the budget, to full fine-tuning where it does', () => {
    const qwen = loaded('Qwen2.5-0.5B');
    const eight = memoryChoice(qwen.modelType, qwen.config, run, { limits: bigGpu, budget: 8 * GiB })!;
    expect([eight.fullFits, eight.loraFits, eight.loraByDefault]).toEqual([false, true, true]);
    expect(eight.line).toBe('Training memory at 4×256: full fine-tuning ≈ 9.6 GB (does not fit), LoRA r16 ≈ 2.7 GB; this device gives ≈ 8.6 GB.');
    expect(loraSetting(null, eight)).toBe(true);
    const sixteen = memoryChoice(qwen.modelType, qwen.config, run, { limits: bigGpu, budget: 16 * GiB })!;
    expect([sixteen.fullFits, sixteen.loraFits, sixteen.loraByDefault]).toEqual([true, true, false]);
    // Both fit: the person's choice stands, either way.
    expect(loraSetting(null, sixteen)).toBe(false);
    expect(loraSetting(true, sixteen)).toBe(true);
    expect(loraSetting(false, eight)).toBe(false);
    expect(loraSetting(null, null)).toBe(false);
  });

  it('follows the block and batch: a longer block tips distilgpt2 past the budget', () => {
    const d = loaded('distilgpt2');
    const budget = 3 * GiB;
    const short = memoryChoice(d.modelType, d.config, run, { limits: bigGpu, budget })!;
    expect(short.loraByDefault).toBe(false);
    const long = memoryChoice(d.modelType, d.config, { blockSize: 1024, batchSize: 8, loraRank: 16 }, { limits: bigGpu, budget })!;
    expect(long.full.trainingBytes).toBeGreaterThan(budget);
    expect(long.loraByDefault).toBe(true);
  });

  it('counts a GPU whose buffers cannot hold the widest tensor as not fitting, and says so without WebGPU', () => {
    const qwen = loaded('Qwen2.5-0.5B');
    const tiny = memoryChoice(qwen.modelType, qwen.config, run, { limits: { maxStorageBufferBindingSize: 8 * 2 ** 20, maxBufferSize: GiB }, budget: 16 * GiB })!;
    expect([tiny.fullFits, tiny.loraFits, tiny.loraByDefault]).toEqual([false, false, true]);
    const wasm = memoryChoice(qwen.modelType, qwen.config, run, { limits: null, budget: 4 * GiB })!;
    expect(wasm.line).toMatch(/; this tab may use ≈ 4\.3 GB \(no WebGPU\)\.$/);
  });

  it('sizes a rank being typed (out of bounds) at the default rank; nothing for a model it cannot size', () => {
    const qwen = loaded('Qwen2.5-0.5B');
    const typing = memoryChoice(qwen.modelType, qwen.config, { ...run, loraRank: 0 }, { limits: bigGpu, budget: 16 * GiB })!;
    expect(typing.lora!.lora!.rank).toBe(16);
    expect(memoryChoice('mamba', {}, run, { limits: null, budget: GiB })).toBeNull();
    expect(memoryChoice('qwen2', null, run, { limits: null, budget: GiB })).toBeNull();
  });
});
