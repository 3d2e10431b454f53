// The presets' configs against the parameter counts their model cards publish (an independent
// reference: a wrong width, depth or head count changes the total), parsed by their families.
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS, findPreset, hubFolderUrl } from '../../src/lib/model/presets.ts';
import { familyOf } from '../../src/lib/model/families.ts';
import { DEFAULT_MODEL_URL } from '../../src/lib/model/model-url.ts';

// Totals as the models' cards and `sum(p.numel() for p in model.parameters())` give them (tied heads counted once).
const PUBLISHED: Record<string, number> = {
  'distilbert/distilgpt2': 81_912_576,
  'openai-community/gpt2': 124_439_808,
  'HuggingFaceTB/SmolLM2-135M': 134_515_008,
  'HuggingFaceTB/SmolLM2-360M': 361_821_120,
  'Qwen/Qwen2.5-0.5B': 494_032_768,
};

describe('model presets', () => {
  for (const p of MODEL_PRESETS) {
    it(`${p.label}: parses as ${p.config.model_type} with the published parameter count`, () => {
      const family = familyOf(p.config);
      const config = family.parseConfig(p.config);
      const total = family.paramTable(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
      expect(total).toBe(PUBLISHED[p.id]);
    });
  }

  it('the default preset is the page default model, and only Qwen2.5 is marked multilingual', () => {
    expect(hubFolderUrl(MODEL_PRESETS[0].id)).toBe(DEFAULT_MODEL_URL);
    expect(MODEL_PRESETS.filter((p) => p.multilingual).map((p) => p.label)).toEqual(['Qwen2.5-0.5B']);
    expect(findPreset('qwen2.5-0.5b')?.id).toBe('Qwen/Qwen2.5-0.5B');
    expect(findPreset('HuggingFaceTB/SmolLM2-135M')?.label).toBe('SmolLM2-135M');
    expect(findPreset('nope')).toBeUndefined();
  });
});
