// Training settings: defaults filled in, and every value that cannot train refused in the words
// the page uses for the field; the page's inputs offer exactly what validation takes.
import { describe, expect, it } from 'vitest';
import {
  PANEL_SETTINGS,
  TRAIN_DEFAULTS,
  TRAIN_SETTINGS,
  inputAttributes,
  panelDefaults,
  resolveTrainConfig,
  trainSettingsProblem,
} from '../../src/lib/train/config.ts';

describe('training settings', () => {
  it('fills the defaults, the table\'s, huggingtweets\' own', () => {
    expect(resolveTrainConfig({ epochs: 2 })).toEqual({ ...TRAIN_DEFAULTS, epochs: 2 });
    expect(TRAIN_DEFAULTS).toMatchObject({ blockSize: 256, batchSize: 4, epochs: 4, lr: 1.372e-4, seed: 42, checkpointEvery: 50 });
    expect(resolveTrainConfig({})).toEqual(TRAIN_DEFAULTS); // the defaults pass their own bounds
    // LoRA off unless asked (the page turns it on where full fine-tuning would not fit), r 16, alpha 32.
    expect(TRAIN_DEFAULTS).toMatchObject({ lora: false, loraRank: 16, loraAlpha: 32 });
    expect(panelDefaults()).toEqual(Object.fromEntries(PANEL_SETTINGS.map((k) => [k, TRAIN_DEFAULTS[k]])));
  });

  it('names the field, the rule and the value, or says the field is empty', () => {
    const cases: [Parameters<typeof trainSettingsProblem>[0], string][] = [
      [{ epochs: 0 }, 'Epochs must be a whole number from 1 to 50, not 0.'],
      [{ epochs: 51 }, 'Epochs must be a whole number from 1 to 50, not 51.'],
      [{ gradAccum: 2.5 }, 'Gradient accumulation must be a whole number from 1 to 64, not 2.5.'],
      [{ batchSize: null as unknown as number }, 'Batch size must be a whole number from 1 to 64 (the field is empty).'],
      [{ seed: -1 }, 'Seed must be a whole number of at least 0, not -1.'],
      [{ lr: -1 }, 'Learning rate must be more than 0, not -1.'],
      [{ weightDecay: -0.1 }, 'Weight decay must be 0 or more, not -0.1.'],
      [{ blockSize: 1 }, 'Block size must be a whole number from 2 to 1024, not 1.'],
      [{ loraRank: 0 }, 'LoRA rank must be a whole number from 1 to 256, not 0.'],
      [{ loraRank: 4.5 }, 'LoRA rank must be a whole number from 1 to 256, not 4.5.'],
      [{ loraAlpha: 0 }, 'LoRA alpha must be more than 0 and at most 4096, not 0.'],
    ];
    for (const [settings, message] of cases) expect(trainSettingsProblem(settings)).toBe(message);
    expect(trainSettingsProblem({ blockSize: 300 }, 256)).toBe("Block size can be at most 256 tokens, the model's context, not 300.");
    expect(trainSettingsProblem({ blockSize: 256 }, 256)).toBeNull();
  });

  it("gives the page's inputs validation's bounds: each input's least and greatest value pass, one step past them fails", () => {
    for (const key of PANEL_SETTINGS) {
      const { min, max, step } = inputAttributes(key);
      const bounds = TRAIN_SETTINGS[key].bounds!;
      expect([min, max]).toEqual([bounds.min, bounds.max]);
      const problem = (v: number) => trainSettingsProblem({ [key]: v });
      if (bounds.exclusiveMin) {
        expect(problem(min)).toMatch(new RegExp(`^${TRAIN_SETTINGS[key].label} must be more than ${min}`));
        expect(problem(min + step)).toBeNull();
      } else {
        expect(problem(min)).toBeNull();
        expect(problem(min - step)).toMatch(new RegExp(`^${TRAIN_SETTINGS[key].label} must be`));
      }
      if (max !== undefined) {
        expect(problem(max)).toBeNull();
        expect(problem(max + step)).toMatch(new RegExp(`^${TRAIN_SETTINGS[key].label} must be`));
      }
      if (bounds.integer) expect(problem(min + 0.5)).toMatch(/whole number/);
    }
  });
});
