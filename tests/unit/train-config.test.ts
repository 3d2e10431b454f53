// Training settings: defaults filled in, and every value that cannot train refused in the words
// the page uses for the field.
import { describe, expect, it } from 'vitest';
import { resolveTrainConfig, trainSettingsProblem, TRAIN_DEFAULTS } from '../../src/lib/train/config.ts';

describe('training settings', () => {
  it('fills the defaults', () => {
    expect(resolveTrainConfig({ epochs: 2 })).toEqual({ ...TRAIN_DEFAULTS, epochs: 2 });
  });

  it('names the field, the rule and the value, or says the field is empty', () => {
    const cases: [Parameters<typeof trainSettingsProblem>[0], string][] = [
      [{ epochs: 0 }, 'Epochs must be a whole number of at least 1, not 0.'],
      [{ gradAccum: 2.5 }, 'Gradient accumulation must be a whole number of at least 1, not 2.5.'],
      [{ batchSize: null as unknown as number }, 'Batch size must be a whole number of at least 1 (the field is empty).'],
      [{ seed: -1 }, 'Seed must be a whole number of at least 0, not -1.'],
      [{ lr: -1 }, 'Learning rate must be more than 0, not -1.'],
      [{ weightDecay: -0.1 }, 'Weight decay must be 0 or more, not -0.1.'],
    ];
    for (const [settings, message] of cases) expect(trainSettingsProblem(settings)).toBe(message);
    expect(trainSettingsProblem({ blockSize: 300 }, 256)).toBe("Block size can be at most 256 tokens, the model's context, not 300.");
    expect(trainSettingsProblem({ blockSize: 256 }, 256)).toBeNull();
  });
});
