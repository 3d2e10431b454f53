// The model picker's logic: each preset's download size against the Hub's own file sizes, its
// training memory against this device (LoRA offered where full fine-tuning does not fit), the
// choice ?model= carries, and the hint for a mostly non-English archive.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf } from '../../scripts/check-layers.ts';
import { MODEL_PRESETS, findPreset } from '../../src/lib/model/presets.ts';
import { backendCeiling, trainingDevice, choiceOf, formatApprox, hubIdProblem, languageHint, languageShares, modelParam, presetView, trainingBudget } from '../../src/ui/model-picker.ts';

const GiB = 2 ** 30;
const bigGpu = { maxStorageBufferBindingSize: 2 * GiB, maxBufferSize: 4 * GiB };
const preset = (label: string) => findPreset(label)!;

describe('presetView', () => {
  it("sizes each download as the Hub's model.safetensors (bytes as the Hub lists them, within the header)", () => {
    const hub: Record<string, number> = {
      distilgpt2: 352_824_413,
      gpt2: 548_105_171,
      'SmolLM2-135M': 269_060_552,
      'SmolLM2-360M': 723_674_912,
      'Qwen2.5-0.5B': 988_097_824,
    };
    for (const p of MODEL_PRESETS) {
      const v = presetView(p, { limits: bigGpu, budget: 16 * GiB });
      expect(Math.abs(v.downloadBytes - hub[p.label]) / hub[p.label]).toBeLessThan(1e-3);
    }
    expect(presetView(preset('Qwen2.5-0.5B'), { limits: null, budget: 16 * GiB }).sizeLine).toBe('≈ 988 MB download');
  });

  it('offers LoRA r16 only where full fine-tuning does not fit the budget, and says so', () => {
    const eight = { limits: bigGpu, budget: trainingBudget(8) };
    const small = presetView(preset('distilgpt2'), eight);
    expect(small.fullFits).toBe(true);
    expect(small.lora).toBeNull();
    expect(small.memoryLine).toBe('trains in ≈ 2.2 GB at 4×256');
    const qwen = presetView(preset('Qwen2.5-0.5B'), eight);
    expect(qwen.fullFits).toBe(false);
    expect(qwen.lora!.lora!.rank).toBe(16);
    expect(qwen.loraFits).toBe(true);
    expect(qwen.memoryLine).toBe('full fine-tuning needs ≈ 9.6 GB at 4×256, more than this device gives (≈ 8.6 GB); LoRA r16 ≈ 2.7 GB');
    // With room for it, full fine-tuning is what it shows.
    expect(presetView(preset('Qwen2.5-0.5B'), { limits: bigGpu, budget: 16 * GiB }).lora).toBeNull();
    // A GPU whose buffers cannot hold the widest tensor fits neither.
    const tiny = presetView(preset('Qwen2.5-0.5B'), { limits: { maxStorageBufferBindingSize: 8 * 2 ** 20, maxBufferSize: GiB }, budget: 16 * GiB });
    expect(tiny.memoryLine).toMatch(/past this GPU's buffers; LoRA r16 ≈ 2\.7 GB, also too much here$/);
  });

  it('takes the budget from deviceMemory within what a tab holds', () => {
    expect(trainingBudget(4)).toBe(4 * GiB);
    expect(trainingBudget(undefined)).toBe(16 * GiB);
    expect(trainingBudget(64)).toBe(16 * GiB);
    expect(trainingBudget(0)).toBe(16 * GiB);
    // On WASM every tensor is in a 32-bit heap: an 8 GiB machine still gives a run under 4 GiB.
    expect(trainingBudget(8, backendCeiling('wasm'))).toBe(4 * GiB - 2 ** 16);
    expect(trainingBudget(8, backendCeiling('webgpu'))).toBe(8 * GiB);
    expect(backendCeiling(undefined)).toBe(16 * GiB);
    // What the picker and the run both tell memory against: no WebGPU, the worker on WASM.
    expect(trainingDevice(null, 'wasm', 8)).toEqual({ limits: null, budget: 4 * GiB - 2 ** 16 });
    expect(formatApprox(2_654_000_000)).toBe('≈ 2.7 GB');
    expect(formatApprox(400)).toBe('≈ 1 MB');
  });
});

describe('the choice ?model= carries', () => {
  it('names a preset by Hub id or label, any other Hub id, or a folder URL', () => {
    expect(choiceOf(null)).toEqual({ kind: 'preset', preset: MODEL_PRESETS[0] });
    expect(choiceOf('Qwen/Qwen2.5-0.5B')).toEqual({ kind: 'preset', preset: preset('Qwen2.5-0.5B') });
    expect(choiceOf('gpt2')).toEqual({ kind: 'preset', preset: preset('gpt2') });
    expect(choiceOf('someone/tiny-llama')).toEqual({ kind: 'hub', id: 'someone/tiny-llama' });
    expect(choiceOf('/fixtures/models/tiny/')).toEqual({ kind: 'url', url: '/fixtures/models/tiny/' });
    for (const param of ['Qwen/Qwen2.5-0.5B', 'someone/tiny-llama', '/fixtures/models/tiny/']) expect(modelParam(choiceOf(param))).toBe(param);
    expect(modelParam(choiceOf('SmolLM2-135M'))).toBe('HuggingFaceTB/SmolLM2-135M');
  });

  it('checks a typed Hub id', () => {
    expect(hubIdProblem('Qwen/Qwen2.5-1.5B')).toBeNull();
    expect(hubIdProblem(' ')).toBe('type a model id, such as Qwen/Qwen2.5-0.5B');
    expect(hubIdProblem('https://evil.example/x')).toMatch(/is not a Hub model id/);
    expect(hubIdProblem('a/../b')).toMatch(/is not a Hub model id/);
  });
});

describe('languageHint', () => {
  const distil = choiceOf(null);

  it("leaves out Twitter's pseudo-languages and sorts by count", () => {
    expect(languageShares({ und: 50, ja: 30, en: 10, zxx: 5, qme: 1, ko: 10 }).map((s) => [s.lang, s.share])).toEqual([['ja', 0.6], ['en', 0.2], ['ko', 0.2]]);
  });

  it('suggests the multilingual preset when most kept tweets with a language are not English', () => {
    const hint = languageHint({ ja: 60, en: 30, ko: 10, und: 500 }, distil)!;
    expect(hint.suggest?.label).toBe('Qwen2.5-0.5B');
    expect(hint.line).toBe('Most kept tweets are not in English (Japanese 60 %, Korean 10 %). distilgpt2 learned English only; Qwen2.5-0.5B knows many languages.');
    // Already multilingual: said, nothing to switch to.
    expect(languageHint({ ja: 60, en: 30 }, choiceOf('Qwen/Qwen2.5-0.5B'))).toEqual({ line: 'Most kept tweets are not in English (Japanese 67 %). Qwen2.5-0.5B is multilingual.', suggest: null });
  });

  it('says nothing for a mostly English archive, an even split, or none with a language', () => {
    expect(languageHint({ en: 70, ja: 30 }, distil)).toBeNull();
    expect(languageHint({ en: 50, 'en-gb': 0, ja: 50 }, distil)).toBeNull();
    expect(languageHint({ und: 100, zxx: 3 }, distil)).toBeNull();
    expect(languageHint({}, distil)).toBeNull();
  });
});

describe('what the page loads on arrival', () => {
  it('sizes models without tfjs: no value import from model-picker.ts reaches @tensorflow', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imp of importsOf(fs.readFileSync(file, 'utf8'), file)) {
        if (imp.kind === 'type') continue;
        if (imp.spec.startsWith('.')) walk(path.resolve(path.dirname(file), imp.spec));
        else packages.add(imp.spec);
      }
    };
    walk(path.resolve('src/ui/model-picker.ts'));
    expect(seen.size).toBeGreaterThan(8); // presets, family shapes, both families' configs and tables, ...
    expect([...packages]).toEqual([]);
  });
});
