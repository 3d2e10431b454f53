// LoRA through the real trainer and the lib's own pieces: PEFT's initialisation (step 0 is the
// base model, exactly), checkpoints that hold the adapters alone, exact resume (6 steps straight
// = 3, snapshot, fresh model, 3 more) with dropout on, generation through unmerged adapters with
// a KV cache, PEFT's adapter files (key names as PEFT writes them, listed here), and the
// settings' checks.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { readSafetensors, readSafetensorsMetadata } from '../../src/lib/model/safetensors.ts';
import { exportSafetensors } from '../../src/lib/model/export.ts';
import { Corpus, type CorpusAccount } from '../../src/lib/dataset/corpus.ts';
import { resolveTrainConfig, type TrainConfig } from '../../src/lib/train/config.ts';
import { Trainer, weightsFromState } from '../../src/lib/train/trainer.ts';
import { attachLora, detachLora, LoraAdapters } from '../../src/lib/lora/adapters.ts';
import { loraConfig, loraConfigFromRecord, type LoraConfig } from '../../src/lib/lora/config.ts';
import { peftAdapterConfig, peftAdapterFiles, readPeftAdapter } from '../../src/lib/lora/peft.ts';
import { PEFT_DEFAULT_TARGETS } from '../../src/lib/lora/targets.ts';
import { syntheticConfig, syntheticTokens, syntheticWeights } from '../helpers/synthetic.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from '../helpers/synthetic-llama.ts';

const golden = JSON.parse(fs.readFileSync('tests/golden/lora-tiny.json', 'utf8'));

const tiny = {
  gpt2: () => {
    const g = golden.families.gpt2;
    return CausalLM.fromWeights(FAMILIES.gpt2, FAMILIES.gpt2.parseConfig(g.config), syntheticWeights(g.config, g.weight_seed), { maxBufferBytes: 2048 });
  },
  qwen2: () => CausalLM.fromWeights(FAMILIES.qwen2, FAMILIES.qwen2.parseConfig(SYNTHETIC_LLAMAS.qwen2), syntheticLlamaWeights(SYNTHETIC_LLAMAS.qwen2, golden.families.qwen2.weight_seed), { maxBufferBytes: 2048 }),
};

/** Mean next-token loss of token rows [B, T+1] (no gradient). */
async function lossOf(model: CausalLM, rows: Int32Array, B: number, training = false, seed?: number): Promise<number> {
  const T1 = rows.length / B;
  const all = tf.tensor2d(rows, [B, T1], 'int32');
  const x = tf.slice(all, [0, 0], [B, T1 - 1]) as tf.Tensor2D;
  const y = tf.reshape(tf.slice(all, [0, 1], [B, T1 - 1]), [B * (T1 - 1)]) as tf.Tensor1D;
  const h = model.hidden(x, { training, seed });
  const loss = model.meanLoss(h, y);
  const value = (await loss.data())[0];
  tf.dispose([all, x, y, h, loss]);
  return value;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('LoRA initialisation (PEFT: A kaiming-uniform, B zero)', () => {
  for (const kind of ['gpt2', 'qwen2'] as const) {
    it(`${kind}: step 0 with adapters is the base model's loss, bit for bit`, async () => {
      const g = golden.families[kind];
      const model = tiny[kind]();
      const rows = syntheticTokens(golden.batch * (golden.block + 1), g.config.vocab_size, g.grad.batch_seed);
      const base = await lossOf(model, rows, golden.batch);
      expect(Math.abs(base - g.grad.base_loss)).toBeLessThan(1e-5 * base); // the golden's base model
      const adapters = attachLora(model, loraConfig(kind, { r: 4, alpha: 8, dropout: 0.3, targets: g.lora.target_modules }), { seed: 11 });
      expect(await lossOf(model, rows, golden.batch)).toBe(base);
      for (const p of adapters.pairs) {
        const a = (await adapters.parameter(p.a).data()) as Float32Array;
        const b = (await adapters.parameter(p.b).data()) as Float32Array;
        expect(a.length).toBe(4 * p.in);
        const bound = 1 / Math.sqrt(p.in);
        expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
        expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 * bound); // the whole range is drawn
        expect(b.every((v) => v === 0)).toBe(true);
      }
      detachLora(model);
      model.dispose();
    });
  }

  it('with dropout on (0.1 everywhere, the adapters too), step 0 draws the base network\'s masks of full fine-tuning', async () => {
    const cfg = syntheticConfig();
    const model = GPT2.fromWeights(cfg, syntheticWeights(cfg, 3));
    const rows = syntheticTokens(2 * 9, 101, 4);
    const full = await lossOf(model, rows, 2, true, 9);
    expect(full).not.toBe(await lossOf(model, rows, 2, true, 10)); // masks are drawn
    attachLora(model, loraConfig('gpt2', { dropout: 0.1, targets: ['c_attn', 'c_proj', 'c_fc'] }), { seed: 1 });
    expect(await lossOf(model, rows, 2, true, 9)).toBe(full);
    detachLora(model);
    model.dispose();
  });

  it('draws its A from the seed: the same seed the same adapters, another seed others', async () => {
    const model = tiny.gpt2();
    const draw = async (seed: number) => {
      const a = LoraAdapters.create(model, loraConfig('gpt2'), { seed });
      const v = (await a.read()).get('h.0.attn.c_attn.lora_A.weight')!.data;
      a.dispose();
      return v;
    };
    expect(await draw(1)).toEqual(await draw(1));
    expect(await draw(1)).not.toEqual(await draw(2));
    model.dispose();
  });
});

// The trainer's setting: a tiny GPT-2 with dropout 0.1 everywhere, LoRA dropout 0.1 too.
function accounts(): CorpusAccount[] {
  return [0, 1].map((a) => ({
    username: `u${a}`,
    tweets: Array.from({ length: 30 - 20 * a }, (_, i) => {
      const ids = Array.from(syntheticTokens(3 + (i % 4), 100, a * 100 + i));
      return { ids, chars: ids.length * 5 };
    }),
  }));
}

const LORA: LoraConfig = { r: 4, alpha: 8, dropout: 0.1, targets: ['c_attn', 'c_proj', 'c_fc'] };

function setup(over: Partial<TrainConfig> = {}, lora: LoraConfig | null = LORA) {
  const config = resolveTrainConfig({ blockSize: 8, batchSize: 2, epochs: 2, lossReadEvery: 3, seed: 5, lr: 3e-3, weightDecay: 0.1, gradAccum: 2, ...over });
  const cfg = syntheticConfig();
  const model = GPT2.fromWeights(cfg, syntheticWeights(cfg, 3), { maxBufferBytes: 4096 });
  if (lora) attachLora(model, lora, { seed: config.seed });
  const corpus = new Corpus(accounts(), { ...config, eotId: 100 });
  return { model, corpus, trainer: new Trainer(model, corpus, config), config };
}

function free(run: ReturnType<typeof setup>): void {
  run.trainer.dispose();
  detachLora(run.model);
  run.model.dispose();
}

async function lossesOfRun(run: ReturnType<typeof setup>, steps: number): Promise<number[]> {
  for (let i = 0; i < steps; i++) run.trainer.trainStep();
  await run.trainer.flush();
  const losses = run.trainer.losses.map((l) => l.loss);
  free(run);
  return losses;
}

describe('Trainer with LoRA on a tiny GPT-2 (tfjs cpu)', () => {
  it('a checkpoint holds the adapters alone (and their moments), with the LoRA settings', async () => {
    const run = setup();
    const baseFloats = run.model.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    for (let i = 0; i < 2; i++) run.trainer.trainStep();
    const state = await run.trainer.snapshot();
    const names = (l: number) => ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].flatMap((m) => [`h.${l}.${m}.lora_A.weight`, `h.${l}.${m}.lora_B.weight`]);
    expect(state.params.map((p) => p.key)).toEqual([...names(0), ...names(1)]);
    const floats = state.params.reduce((n, p) => n + p.data.length, 0);
    expect(floats).toBe(2 * (4 * 16 + 48 * 4 + 4 * 16 + 16 * 4 + 4 * 16 + 64 * 4 + 4 * 64 + 16 * 4));
    expect(floats).toBeLessThan(baseFloats / 4); // a quarter in this tiny model; 0.2% in distilgpt2 at r 4 on c_attn
    expect(state.params.every((p) => p.m.some((v) => v !== 0) && p.v.some((v) => v !== 0))).toBe(true);
    expect(loraConfigFromRecord(state.adapters)).toEqual(LORA);
    expect(() => weightsFromState(state)).toThrow(/LoRA adapters only/);
    // Restoring into a model without adapters, or with other ones, is refused in one line.
    for (const other of [null, { ...LORA, r: 2 }]) {
      const b = setup({}, other);
      expect(() => b.trainer.restore(state)).toThrow(/^checkpoint has adapters .* the model (none|adapters)/);
      free(b);
    }
    free(run);
  });

  it('resumes exactly: 6 steps straight = 3 steps, snapshot, fresh model and adapters, 3 more (dropout on)', async () => {
    const want = await lossesOfRun(setup(), 6);
    const a = setup();
    for (let i = 0; i < 3; i++) a.trainer.trainStep();
    const state = await a.trainer.snapshot();
    free(a);
    const b = setup({}, null);
    // The base model is rebuilt from its files; the adapters come back from the checkpoint's record.
    attachLora(b.model, loraConfigFromRecord(state.adapters), { seed: 999 });
    const trainer = new Trainer(b.model, b.corpus, b.config);
    b.trainer.dispose();
    trainer.restore(state);
    const got = await lossesOfRun({ ...b, trainer }, 3);
    expect(got.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    // Dropout really is on, in the adapters too (else this would not check their masks).
    const other = await lossesOfRun(setup({ seed: 6 }), 6);
    expect(Math.abs(other[1] - want[1])).toBeGreaterThan(1e-4);
    const noAdapterDropout = await lossesOfRun(setup({}, { ...LORA, dropout: 0 }), 2);
    expect(Math.abs(noAdapterDropout[1] - want[1])).toBeGreaterThan(1e-6);
  });

  it('trains only the adapters: loss falls, the base weights stay bit for bit', async () => {
    const run = setup({ dropout: false, lr: 1e-2 });
    const before = await Promise.all(run.model.parameters.map(async (p) => Promise.all(p.slices.map((s) => s.data()))));
    for (let i = 0; i < 12; i++) run.trainer.trainStep();
    await run.trainer.flush();
    const after = await Promise.all(run.model.parameters.map(async (p) => Promise.all(p.slices.map((s) => s.data()))));
    expect(after).toEqual(before);
    const l = run.trainer.losses.map((x) => x.loss);
    expect((l[9] + l[10] + l[11]) / 3).toBeLessThan((l[0] + l[1] + l[2]) / 3 - 0.05);
    free(run);
  });
});

describe('generation through unmerged adapters', () => {
  it('a KV-cached pass gives the logits of a whole pass, adapters included', async () => {
    const model = tiny.qwen2();
    const g = golden.families.qwen2;
    const peft = new Map(Object.entries(g.adamw.adapters as Record<string, { shape: number[]; data: string }>).map(([k, s]) => {
      const buf = Buffer.from(s.data, 'base64');
      return [k, { shape: s.shape, data: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) }];
    }));
    attachLora(model, { r: 4, alpha: 8, dropout: 0, targets: g.lora.target_modules }, { peft });
    const ids = syntheticTokens(6, 101, 3);
    const whole = tf.tidy(() => model.logits(model.hidden(tf.tensor2d(ids, [1, 6], 'int32'))).slice([5, 0], [1, -1]));
    const cache = model.newCache(1);
    tf.dispose(model.hidden(tf.tensor2d(ids.subarray(0, 5), [1, 5], 'int32'), { cache }));
    const step = tf.tidy(() => model.logits(model.hidden(tf.tensor2d(ids.subarray(5), [1, 1], 'int32'), { cache })));
    const [a, b] = [(await whole.data()) as Float32Array, (await step.data()) as Float32Array];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    cache.dispose();
    tf.dispose([whole, step]);
    detachLora(model);
    model.dispose();
  });
});

describe("PEFT's adapter files", () => {
  // PEFT's layout, written out: 'base_model.model.' + the module's path in the Hugging Face model
  // (GPT2LMHeadModel: transformer.h.N...; Qwen2ForCausalLM: model.layers.N...) + '.lora_A.weight'.
  const WANT = {
    gpt2: ['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn'],
    qwen2: ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj'],
  };
  for (const kind of ['gpt2', 'qwen2'] as const) {
    it(`${kind}: PEFT's default targets, its key names and config, read back whole`, async () => {
      expect(PEFT_DEFAULT_TARGETS[kind]).toEqual(kind === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj']);
      const model = tiny[kind]();
      const adapters = attachLora(model, loraConfig(kind, { r: 2, alpha: 4 }), { seed: 3 });
      // B away from zero, so that the merge has something to add.
      for (const p of adapters.pairs) adapters.parameter(p.b).assign(tf.randomUniform([p.out, 2], -0.5, 0.5, 'float32', 7));
      const files = await peftAdapterFiles(adapters, 'base/model');
      const config = JSON.parse(files['adapter_config.json']);
      expect(config).toMatchObject({
        peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'base/model', r: 2, lora_alpha: 4, lora_dropout: 0,
        target_modules: PEFT_DEFAULT_TARGETS[kind], bias: 'none', fan_in_fan_out: kind === 'gpt2',
      });
      expect(config).toEqual(peftAdapterConfig(adapters, 'base/model'));
      const tensors = readSafetensors(files['adapter_model.safetensors']);
      const keys = WANT[kind].flatMap((m) => [`base_model.model.${m}.lora_A.weight`, `base_model.model.${m}.lora_B.weight`]).sort();
      expect([...tensors.keys()]).toEqual(keys);
      expect(readSafetensorsMetadata(files['adapter_model.safetensors'])).toEqual({ format: 'pt' });
      const C = kind === 'gpt2' ? 8 : 16;
      const out = kind === 'gpt2' ? 3 * C : [16, 8]; // qwen2: q 4 heads x 4, v 2 kv heads x 4
      expect(tensors.get(keys[0])!.shape).toEqual([2, C]);
      expect(tensors.get(keys[1])!.shape).toEqual([Array.isArray(out) ? out[0] : out, 2]);
      // Read back: the same settings and tensors.
      const back = readPeftAdapter(files['adapter_config.json'], files['adapter_model.safetensors']);
      expect(back.config).toEqual(adapters.config);
      const again = LoraAdapters.create(model, back.config, { peft: back.tensors });
      expect(await again.read()).toEqual(await adapters.read());
      again.dispose();
      // model.safetensors, as the existing export writes it, holds the merged weights: W + scaling BA.
      const merged = readSafetensors(await exportSafetensors(model));
      const name = kind === 'gpt2' ? 'transformer.h.1.attn.c_attn.weight' : 'model.layers.1.self_attn.v_proj.weight';
      const m = adapters.pairs.find((p) => name.startsWith(p.hfPath + '.'))!;
      const [A, Bm] = [tensors.get(`base_model.model.${m.hfPath}.lora_A.weight`)!.data, tensors.get(`base_model.model.${m.hfPath}.lora_B.weight`)!.data];
      const W = (await model.parameter(m.module + '.weight').slices[0].data()) as Float32Array;
      for (let o = 0; o < m.out; o++) {
        for (let i = 0; i < m.in; i++) {
          let d = 0;
          for (let k = 0; k < 2; k++) d += Bm[o * 2 + k] * A[k * m.in + i];
          const at = kind === 'gpt2' ? i * m.out + o : o * m.in + i; // Conv1D [in, out]; Linear [out, in]
          expect(Math.abs(merged.get(name)!.data[at] - (W[at] + 2 * d))).toBeLessThan(1e-6);
        }
      }
      detachLora(model);
      model.dispose();
    });
  }

  it('refuses what is not a LoRA adapter, in one line', () => {
    expect(() => readPeftAdapter('{', new Uint8Array())).toThrow(/not JSON/);
    expect(() => readPeftAdapter('{"peft_type":"IA3"}', new Uint8Array())).toThrow(/not a LoRA adapter/);
    expect(() => readPeftAdapter('{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"use_dora":true}', new Uint8Array())).toThrow(/DoRA/);
  });
});

describe('LoRA settings', () => {
  it('checks every setting and every target, one readable line each', () => {
    const model = tiny.gpt2();
    expect(() => loraConfig('gpt2', { r: 0 })).toThrow(/rank r must be a whole number/);
    expect(() => loraConfig('gpt2', { r: 2.5 })).toThrow(/rank r/);
    expect(() => loraConfig('gpt2', { alpha: -1 })).toThrow(/alpha must be a positive/);
    expect(() => loraConfig('gpt2', { dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => loraConfig('gpt2', { targets: [] })).toThrow(/target modules/);
    expect(() => loraConfig('gpt2', { targets: ['c_attn;rm'] })).toThrow(/is not a module name/);
    expect(() => loraConfig('mamba')).toThrow(/no default target modules for model_type "mamba"/);
    expect(() => LoraAdapters.create(model, loraConfig('gpt2', { targets: ['c_attn', 'q_proj'] }))).toThrow(
      'LoRA: target module(s) q_proj not found in this gpt2 model (its linear maps: c_attn, c_proj, c_fc)',
    );
    // 'attn.c_proj' picks one of the two c_proj, as PEFT's suffix match does.
    const one = LoraAdapters.create(model, loraConfig('gpt2', { targets: ['attn.c_proj'] }));
    expect(one.pairs.map((p) => p.module)).toEqual(['h.0.attn.c_proj', 'h.1.attn.c_proj']);
    one.dispose();
    expect(() => loraConfigFromRecord({ peft_type: 'LORA', r: 4, lora_alpha: 8, lora_dropout: 2, target_modules: ['c_attn'] })).toThrow(/dropout/);
    const wrong = new Map([['h.0.attn.c_attn.lora_A.weight', { shape: [4, 8], data: new Float32Array(32) }]]);
    expect(() => attachLora(model, loraConfig('gpt2'), { values: wrong })).toThrow('LoRA: "h.0.attn.c_attn.lora_A.weight" is [4, 8], expected [8, 8]');
    const partial = new Map([['h.0.attn.c_attn.lora_A.weight', { shape: [8, 8], data: new Float32Array(64) }]]);
    expect(() => attachLora(model, loraConfig('gpt2'), { values: partial })).toThrow('LoRA: no values for "h.0.attn.c_attn.lora_B.weight"');
    expect(model.adapters).toBeNull(); // nothing stays attached after a refusal
    model.dispose();
  });
});
