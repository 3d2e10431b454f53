// generate() itself on tfjs' WebGPU backend (Node + Dawn on SwiftShader), as the page's
// model worker runs it: a batch of 2 with the <|endoftext|> prefix, greedy, against the
// PyTorch golden continuation, and the batch's cache freed. Tiny: each new cache length
// compiles new shaders, which SwiftShader does slowly (B*T <= 2*12 here).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/model-tiny.json';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateAll } from '../../src/lib/generate/generate.ts';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';

const available = await setupNodeWebGPU();
const STEPS = 8;

describe.skipIf(!available)('generate() on WebGPU', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });

  it(`KV-cached greedy with the EOT prefix equals the PyTorch continuation (${STEPS} tokens, batch 2)`, async () => {
    const files = await loadModelDir(tinyModelDir('tiny'));
    const tok = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt);
    const before = tf.memory().numTensors;
    const model = GPT2.fromWeights(files.config, files.weights);
    const c = golden.models.tiny.greedy.find((g) => g.ids[0] === 50256 && g.prompt !== '')!;
    const out = await generateAll(model, tok, c.prompt, {
      ...DEFAULT_SAMPLE_OPTIONS, greedy: true, prefixEot: true, numSamples: 2, minNewTokens: 0, maxNewTokens: STEPS,
    });
    expect(out[0].ids).toEqual(c.new_ids.slice(0, STEPS));
    expect(out[1].ids).toEqual(out[0].ids);
    model.dispose(); // with its kept causal masks: then nothing generate made may remain
    expect(tf.memory().numTensors).toBe(before);
  });
});
