// The model card's training table: the settings table's labels, in the card's order, with the
// run's values; and no settings claimed for weights no run trained here.
import { describe, expect, it } from 'vitest';
import { cardInfo } from '../../src/ui/export/card-info.ts';
import { resolveTrainConfig } from '../../src/lib/train/config.ts';

const table = { rule: 'at least 3 words', excludeReplies: true, users: [{ username: 'ada', displayName: 'Ada', downloaded: 9, retweets: 1, short: 2, kept: 6 }] };
const base = { table, modelSource: 'https://huggingface.co/distilbert/distilgpt2/resolve/main/', steps: 12, widgetText: 'Hi', date: '2026-01-02' };

describe('cardInfo', () => {
  it("lists the run's settings under the labels the page uses", () => {
    const config = resolveTrainConfig({ lr: 3e-4, batchSize: 2, gradAccum: 3, blockSize: 64, epochs: 5, warmupSteps: 7, weightDecay: 0.01, clipNorm: 0.5, seed: 9 });
    expect(Object.entries(cardInfo({ ...base, config }).hyperparameters)).toEqual([
      ['Learning rate', 3e-4],
      ['Batch size', 2],
      ['Gradient accumulation', 3],
      ['Block size', 64],
      ['Epochs', 5],
      ['Warmup steps', 7],
      ['Weight decay', 0.01],
      ['Gradient clip', 0.5],
      ['Seed', 9],
    ]);
  });

  it('claims no settings without a run', () => {
    expect(cardInfo({ ...base, config: null }).hyperparameters).toEqual({ Note: 'not fine-tuned in this session' });
  });
});
