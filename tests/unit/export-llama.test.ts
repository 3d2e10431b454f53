// Export of Llama- and Qwen2-family models: the bundle is a Hugging Face folder whose
// model.safetensors holds exactly the names LlamaForCausalLM / Qwen2ForCausalLM.save_pretrained
// writes (listed below from transformers' modeling conventions, not from our tables), whose
// config.json keeps every loaded field, whose tokenizer files are the loaded ones byte for byte,
// and which our own folder loader reads back to the same config and weights, bit for bit. The
// weights also load by name into the independent PyTorch Llama (scripts/golden/llama_ref.py)
// with the same logits when the golden is regenerated (UPDATE_GOLDEN=1); every run compares the
// golden values it left, pinned to the exported bytes by their hash.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalLM, type WeightTensor } from '../../src/lib/model/causal-lm.ts';
import { bundleOf, exportBundle } from '../../src/lib/model/export.ts';
import { familyOf } from '../../src/lib/model/families.ts';
import { folderFromBytes, type FolderModel } from '../../src/lib/model/hf-folder.ts';
import { paramTable } from '../../src/lib/model/llama/index.ts';
import { readSafetensors, readSafetensorsMetadata } from '../../src/lib/model/safetensors.ts';
import type { ModelCardInfo } from '../../src/lib/model/model-card.ts';
import { mulberry32 } from '../../src/lib/rng.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { TINY_LLAMAS, tinyLlamaConfig, tinyLlamaDir, type HFLlamaConfig } from '../../scripts/fixtures/tiny-llama.ts';
import { frontMatter, pyYaml } from '../helpers/hostile-card.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GOLDEN = path.join(import.meta.dirname, '../golden/export-llama.json');
const OUT = path.join(ROOT, '.fixtures', 'export-llama');
const PY = '/usr/bin/python3';
/** "My dream is" in Qwen2.5's tokenizer, then <|endoftext|> and "I". */
const IDS = [5050, 7904, 374, 151643, 40];
/** Vocabulary columns the golden file keeps; logsumexp pins the rest of each row. */
const COLS = [0, 1, 40, 374, 5050, 7904, 50000, 100000, 151643, 151935];
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * What XForCausalLM.save_pretrained writes, in the file's (sorted) order: the state_dict of
 * `model` (LlamaModel / Qwen2Model: embed_tokens, layers.{l}.{self_attn,mlp,norms}, norm) under
 * `model.`, and `lm_head.weight` unless tied (it is in _tied_weights_keys); no rotary inv_freq
 * (registered with persistent=False). nn.Linear biases: Qwen2Attention has them on q/k/v only
 * (bias=True on q_proj/k_proj/v_proj, False on o_proj), Qwen2MLP none; LlamaAttention on all
 * four when config.attention_bias, LlamaMLP on all three when config.mlp_bias.
 */
function savePretrainedNames(c: HFLlamaConfig): string[] {
  const qwen2 = c.model_type === 'qwen2';
  const qkvBias = qwen2 || c.attention_bias === true;
  const oBias = !qwen2 && c.attention_bias === true;
  const mlpBias = !qwen2 && c.mlp_bias === true;
  const names = ['model.embed_tokens.weight', 'model.norm.weight'];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    names.push(p + 'input_layernorm.weight', p + 'post_attention_layernorm.weight');
    for (const proj of ['q', 'k', 'v', 'o']) {
      names.push(`${p}self_attn.${proj}_proj.weight`);
      if (proj === 'o' ? oBias : qkvBias) names.push(`${p}self_attn.${proj}_proj.bias`);
    }
    for (const proj of ['gate', 'up', 'down']) {
      names.push(`${p}mlp.${proj}_proj.weight`);
      if (mlpBias) names.push(`${p}mlp.${proj}_proj.bias`);
    }
  }
  if (!c.tie_word_embeddings) names.push('lm_head.weight');
  return names.sort(); // byte order, as safetensors' serializer writes one dtype's tensors
}

interface Case {
  name: string;
  json: HFLlamaConfig;
  folder: FolderModel;
  model: CausalLM;
  zip: Record<string, Uint8Array>;
}

/** A Llama with every optional bias (attention_bias, mlp_bias) and a tied head: seeded random weights. */
function biasedLlama(tokenizerFiles: Record<string, string>): { json: HFLlamaConfig; folder: FolderModel } {
  const json: HFLlamaConfig = { ...tinyLlamaConfig({ ...TINY_LLAMAS['tiny-llama'], tied: true }), attention_bias: true, mlp_bias: true };
  const family = familyOf(json);
  const config = family.parseConfig(json);
  const rand = mulberry32(77);
  const weights = new Map<string, WeightTensor>();
  for (const spec of paramTable(config as never)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    weights.set(spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (spec.name.endsWith('norm.weight') ? 1 : 0) + 0.2 * (rand() - 0.5)) });
  }
  return { json, folder: { family, config, weights, tokenizerFiles, otherFiles: {} } };
}

const card: ModelCardInfo = {
  accounts: [{ username: 'hiro', displayName: 'ひろ', downloaded: 10, retweets: 2, short: 3, kept: 5 }],
  rule: 'multilingual', language: ['ja', 'en'], baseModel: 'Qwen/Qwen2.5-0.5B', hyperparameters: { 'Learning rate': 1e-4 }, steps: 7,
  date: '2026-12-06',
};

const cases: Case[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  const inputs: { name: string; json: HFLlamaConfig; folder: FolderModel }[] = [];
  for (const name of ['tiny-qwen2', 'tiny-llama'] as const) {
    const dir = tinyLlamaDir(name);
    inputs.push({ name, json: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), folder: await loadHFDir(dir) });
  }
  inputs.push({ name: 'llama-biases', ...biasedLlama(inputs[1].folder.tokenizerFiles) });
  for (const { name, json, folder } of inputs) {
    const model = CausalLM.fromWeights(folder.family, folder.config, folder.weights);
    const zip = unzipSync(await exportBundle(model, folder.tokenizerFiles, card));
    cases.push({ name, json, folder, model, zip });
    fs.mkdirSync(path.join(OUT, name), { recursive: true });
    for (const [file, bytes] of Object.entries(zip)) fs.writeFileSync(path.join(OUT, name, file), bytes);
  }
}, 120_000);

/** Full logits [T, V] of IDS. */
function logitsOf(model: CausalLM): Float32Array {
  return tf.tidy(() => model.logits(model.hidden(tf.tensor2d([IDS], [1, IDS.length], 'int32')))).dataSync() as Float32Array;
}

describe('exportBundle (Llama / Qwen2)', () => {
  it('is a Hugging Face folder: config, generation config, the tokenizer files, the card, the weights', () => {
    for (const c of cases) {
      expect(Object.keys(c.zip).sort(), c.name).toEqual([
        'README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json',
      ]);
    }
  });

  it('writes the tensor names save_pretrained writes for the architecture, {"format": "pt"}', () => {
    for (const c of cases) {
      const st = c.zip['model.safetensors'];
      expect(readSafetensorsMetadata(st), c.name).toEqual({ format: 'pt' });
      expect([...readSafetensors(st).keys()], c.name).toEqual(savePretrainedNames(c.json));
    }
    const [qwen, llama, biased] = cases.map((c) => [...readSafetensors(c.zip['model.safetensors']).keys()]);
    expect(qwen).toContain('model.layers.1.self_attn.k_proj.bias');
    expect(qwen.some((n) => n.startsWith('lm_head') || n.endsWith('o_proj.bias'))).toBe(false); // tied; Qwen2's o_proj has no bias
    expect(llama).toContain('lm_head.weight'); // untied
    expect(biased).toEqual(expect.arrayContaining(['model.layers.0.self_attn.o_proj.bias', 'model.layers.2.mlp.down_proj.bias']));
  });

  it('loads back with hf-folder.ts: the same config, every weight bit for bit, the same tokenizer files', async () => {
    for (const c of cases) {
      const back = folderFromBytes(new Map(Object.entries(c.zip)));
      expect(back.family.modelType, c.name).toBe(c.folder.family.modelType);
      // As loaded, but for what the export says: the class, float32, the pipeline's sampling.
      const { architectures, torch_dtype, task_specific_params } = back.config as Record<string, unknown>;
      expect(back.config, c.name).toEqual({ ...(c.folder.config as object), architectures, torch_dtype, task_specific_params });
      expect(torch_dtype).toBe('float32');
      const want = await c.model.exportWeights();
      expect([...back.weights.keys()]).toEqual([...want.keys()]);
      for (const [n, t] of want) {
        expect(back.weights.get(n)!.shape, n).toEqual(t.shape);
        expect(Buffer.from(back.weights.get(n)!.data.buffer).equals(Buffer.from(t.data.buffer)), `${c.name} ${n}`).toBe(true);
      }
      expect(back.tokenizerFiles).toEqual(c.folder.tokenizerFiles);
    }
  });

  it('copies tokenizer.json and tokenizer_config.json byte for byte', () => {
    const dir = tinyLlamaDir('tiny-qwen2');
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      expect(Buffer.from(cases[0].zip[f]).equals(fs.readFileSync(path.join(dir, f))), f).toBe(true);
    }
  });

  it("keeps every field of the loaded config.json, marks the class, float32, and the page's sampling", () => {
    for (const c of cases) {
      const config = JSON.parse(strFromU8(c.zip['config.json'])) as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.json)) if (k !== 'torch_dtype') expect(config[k], `${c.name} ${k}`).toEqual(v);
      expect(config.architectures).toEqual([c.json.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM']);
      expect(config.torch_dtype).toBe('float32');
      for (const ours of ['qkv_bias', 'o_bias']) expect(config, ours).not.toHaveProperty(ours);
      expect((config.task_specific_params as Record<string, unknown>)['text-generation']).toEqual({
        do_sample: true, max_new_tokens: 160, min_new_tokens: 10, temperature: 1, top_k: 50, top_p: 0.95, prefix: '<|endoftext|>',
      });
      expect(JSON.parse(strFromU8(c.zip['generation_config.json']))).toEqual({
        _from_model_config: true, bos_token_id: 151643, eos_token_id: 151643,
        do_sample: true, max_new_tokens: 160, min_new_tokens: 10, temperature: 1, top_k: 50, top_p: 0.95,
      });
    }
  });

  it("writes a card with the base's Hub id, the tweets' languages and the architecture it is", () => {
    const readme = strFromU8(cases[0].zip['README.md']);
    expect(pyYaml(frontMatter(readme))).toMatchObject({ language: ['ja', 'en'], base_model: 'Qwen/Qwen2.5-0.5B' });
    expect(readme).toContain("a browser fine-tuned a Qwen2 model on these accounts'");
    expect(readme).toContain('based on a pre-trained [Qwen2 model](https://huggingface.co/Qwen/Qwen2.5-0.5B)');
    expect(readme).toContain('separated by `<|endoftext|>`');
    expect(readme).toContain('[its base model](https://huggingface.co/Qwen/Qwen2.5-0.5B)');
    expect(readme).not.toContain('GPT-2');
    expect(strFromU8(cases[1].zip['README.md'])).toContain('a browser fine-tuned a Llama model');
  });

  it('refuses, in one line, a model whose tokenizer.json is not loaded (before reading the weights back)', async () => {
    const { model, folder } = cases[0];
    await expect(exportBundle(model, {}, card)).rejects.toThrow(/^export: the model's tokenizer.json is not loaded/);
    const { 'tokenizer_config.json': _, ...noConfig } = folder.tokenizerFiles; // optional, as for the loader
    const zip = unzipSync(await exportBundle(model, noConfig, card));
    expect(Object.keys(zip)).not.toContain('tokenizer_config.json');
  });

  it("is the same folder from the loaded weights alone (bundleOf, no model on the device)", () => {
    const c = cases[0];
    const zip = unzipSync(bundleOf({ family: c.folder.family, config: c.folder.config, weights: c.folder.weights, tokenizerFiles: c.folder.tokenizerFiles, card }));
    for (const f of Object.keys(c.zip)) expect(Buffer.from(zip[f]).equals(Buffer.from(c.zip[f])), f).toBe(true);
  });

  it('loads back into a model with exactly the same logits', () => {
    for (const c of cases) {
      const back = folderFromBytes(new Map(Object.entries(c.zip)));
      const m = CausalLM.fromWeights(back.family, back.config, back.weights);
      expect(Array.from(logitsOf(m)), c.name).toEqual(Array.from(logitsOf(c.model)));
      m.dispose();
    }
  });
});

interface Golden {
  sha256: string;
  logits: number[][]; // [T, COLS]
  logsumexp: number[];
  argmax: number[];
}

function summarise(logits: ArrayLike<number>, V: number): Omit<Golden, 'sha256'> {
  const out: Omit<Golden, 'sha256'> = { logits: [], logsumexp: [], argmax: [] };
  for (let t = 0; t < IDS.length; t++) {
    const row = Array.from({ length: V }, (_, v) => logits[t * V + v]);
    const m = row.reduce((a, b) => (b > a ? b : a), -Infinity);
    out.logits.push(COLS.map((c) => row[c]));
    out.logsumexp.push(m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)));
    out.argmax.push(row.indexOf(m));
  }
  return out;
}

function expectClose(ours: Omit<Golden, 'sha256'>, ref: Omit<Golden, 'sha256'>, what: string): void {
  expect(ours.argmax, what).toEqual(ref.argmax);
  ours.logits.forEach((row, t) => row.forEach((x, j) => expect(Math.abs(x - ref.logits[t][j]), `${what} t=${t} col ${COLS[j]}`).toBeLessThan(1e-4)));
  ours.logsumexp.forEach((x, t) => expect(Math.abs(x - ref.logsumexp[t]), `${what} lse t=${t}`).toBeLessThan(1e-4));
}

describe('the exported weights in the independent PyTorch Llama', () => {
  it('match the committed golden values (llama_ref.py on these exact files)', () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, Golden>;
    for (const c of cases) {
      const g = golden[c.name];
      expect(sha256(c.zip['model.safetensors']), `${c.name}: exported bytes changed; rerun with UPDATE_GOLDEN=1 and torch`).toBe(g.sha256);
      expectClose(summarise(logitsOf(c.model), c.model.dims.vocab), g, c.name);
    }
  });

  // Only when the golden is regenerated (UPDATE_GOLDEN=1 with Debian's python3-torch, not in CI).
  const itRegen = process.env.UPDATE_GOLDEN === '1' ? it : () => undefined;
  itRegen('load by name in llama_ref.py with the same logits (UPDATE_GOLDEN=1: PyTorch)', () => {
    // One process for every folder, and only the columns kept: the full [T, 151936] rows as JSON cost more than the model.
    const script = [
      'import sys, json',
      "sys.path.insert(0, 'scripts/golden')",
      'from llama_ref import load_model',
      'dirs, ids, cols = json.loads(sys.stdin.read())',
      'out = {}',
      'for d in dirs:',
      '    lg = load_model(d).forward(ids)',
      "    out[d] = {'logits': lg[:, cols].tolist(), 'logsumexp': lg.logsumexp(-1).tolist(), 'argmax': lg.argmax(-1).tolist()}",
      'print(json.dumps(out))',
    ].join('\n');
    const dirs = cases.map((c) => path.join(OUT, c.name));
    const r = spawnSync(PY, ['-c', script], { cwd: ROOT, input: JSON.stringify([dirs, IDS, COLS]), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as Record<string, Omit<Golden, 'sha256'>>;
    const golden: Record<string, Golden> = {};
    cases.forEach((c, i) => {
      const ref = py[dirs[i]];
      expectClose(summarise(logitsOf(c.model), c.model.dims.vocab), ref, c.name);
      golden[c.name] = { sha256: sha256(c.zip['model.safetensors']), ...ref };
    });
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
  });
});
