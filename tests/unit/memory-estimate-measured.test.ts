// The memory estimate against what tfjs really holds: the peak of tf.memory() over one real
// training step (the trainer's optimizerStep, per-block recomputation, AdamW) of scaled-down
// GPT-2, Llama and Qwen2 shapes on the cpu backend, whose activations stand to each other as
// distilgpt2's do at B4 x T256 (scores : residual : MLP = 4 : 1 : 4). Each family's count of
// the tensors tfjs keeps lands within about 10 % of the measured peak.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { estimateMemory } from '../../src/lib/model/memory-estimate.ts';
import { AdamW } from '../../src/lib/train/adamw.ts';
import { optimizerStep } from '../../src/lib/train/step.ts';
import { trainableParams } from '../../src/lib/train/trainer.ts';
import { syntheticTokens } from '../helpers/synthetic.ts';

/** Random weights for every parameter of the family's table (norms at 1), keyed as the checkpoint names them. */
function randomWeights(kind: string, config: unknown): Map<string, { shape: number[]; data: Float32Array }> {
  const family = FAMILIES[kind];
  const logical = new Map<string, { shape: number[]; data: Float32Array }>();
  let seed = 1;
  for (const spec of family.paramTable(config)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    const norm = /(ln_|norm)/.test(spec.name) && spec.name.endsWith('weight');
    for (let i = 0; i < data.length; i++) data[i] = norm ? 1 : (Math.sin(seed++ * 12.9898) * 43758.5453 % 1) * 0.04;
    logical.set(spec.name, { shape: spec.shape, data });
  }
  return family.toHF(config, logical);
}

const SHAPES = {
  gpt2: { model_type: 'gpt2', vocab_size: 1000, n_positions: 64, n_embd: 64, n_head: 4, n_layer: 4 },
  llama: { model_type: 'llama', vocab_size: 1000, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, tie_word_embeddings: true },
  qwen2: { model_type: 'qwen2', vocab_size: 1000, hidden_size: 64, intermediate_size: 176, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 1, max_position_embeddings: 64, tie_word_embeddings: true },
} as const;

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('estimateMemory against a measured training step (tfjs cpu)', () => {
  for (const [kind, json] of Object.entries(SHAPES)) {
    it(`${kind}: the step's peak is within [0.8, 1.2] x the estimate`, async () => {
      const family = FAMILIES[kind];
      const config = family.parseConfig(json);
      const B = 4, T = 64;
      const before = tf.memory().numBytes;
      const model = CausalLM.fromWeights(family, config, randomWeights(kind, config));
      const opt = new AdamW(trainableParams(model));
      const rows = syntheticTokens(B * (T + 1), 1000, 3);
      let out: tf.Tensor[] = [];
      const step = () => {
        const r = optimizerStep(model, opt, [{ rows, seed: 1 }], { batchSize: B, blockSize: T, lr: 1e-3, clipNorm: 1, training: true, recompute: true });
        out = [r.loss, r.norm];
        return out;
      };
      tf.dispose(step()); // the first step makes the moments
      const info = await tf.profile(step);
      tf.dispose(out);
      const measured = info.peakBytes - before;
      const est = estimateMemory(family, config, { batch: B, block: T });
      console.log(`${kind}: estimate ${(est.trainingBytes / 1e6).toFixed(2)} MB (state ${(est.parts.state / 1e6).toFixed(2)}, activations ${(est.parts.activations / 1e6).toFixed(2)}, loss ${(est.parts.loss / 1e6).toFixed(2)}, vocabulary gradient ${(est.parts.embeddingGrad / 1e6).toFixed(2)}), measured peak ${(measured / 1e6).toFixed(2)} MB`);
      expect(measured / est.trainingBytes).toBeGreaterThan(0.8);
      expect(measured / est.trainingBytes).toBeLessThan(1.2);
      opt.dispose();
      model.dispose();
    });
  }
});
