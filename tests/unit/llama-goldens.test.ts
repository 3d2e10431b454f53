// Keeps the Llama / Qwen2 and LoRA goldens honest without any model code: the tiny fixtures
// are deterministic and hold exactly the tensors their config.json implies under Hugging
// Face's names; the sharded index lists every tensor once; the golden files were computed from
// these very bytes (sha256) and these synthetic weights (the TS and Python LCG fills agree);
// and the golden token ids are what Tokenizers.js gives today, so a tokenizer upgrade shows.
import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readSafetensors, readSafetensorsMetadata } from '../../src/lib/model/safetensors.ts';
import {
  TINY_LLAMAS, tinyLlamaConfig, tinyLlamaDir, tinyLlamaWeightFiles, type HFLlamaConfig, type TinyLlamaName,
} from '../../scripts/fixtures/tiny-llama.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from '../helpers/synthetic-llama.ts';
import { gpt2LoraModules, llamaLoraModules, syntheticLora } from '../helpers/synthetic-lora.ts';
import { syntheticConfig, syntheticWeights } from '../helpers/synthetic.ts';

const read = (f: string) => JSON.parse(fs.readFileSync(path.join('tests/golden', f), 'utf8'));
const modelGolden = read('llama-tiny.json');
const trainGolden = read('train-llama-tiny.json');
const loraGolden = read('lora-tiny.json');
const NAMES = Object.keys(TINY_LLAMAS) as TinyLlamaName[];

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
function sha256F32(arrays: Float32Array[]): string {
  const h = crypto.createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/** The tensors modeling_llama.py / modeling_qwen2.py register for `c`, written out by hand. */
function expectedShapes(c: HFLlamaConfig): Map<string, number[]> {
  const C = c.hidden_size;
  const hd = c.head_dim ?? C / c.num_attention_heads;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab_size, C]], ['model.norm.weight', [C]]]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [c.vocab_size, C]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    m.set(`${p}self_attn.q_proj.weight`, [c.num_attention_heads * hd, C]);
    m.set(`${p}self_attn.k_proj.weight`, [c.num_key_value_heads * hd, C]);
    m.set(`${p}self_attn.v_proj.weight`, [c.num_key_value_heads * hd, C]);
    m.set(`${p}self_attn.o_proj.weight`, [C, c.num_attention_heads * hd]);
    if (c.model_type === 'qwen2') {
      m.set(`${p}self_attn.q_proj.bias`, [c.num_attention_heads * hd]);
      m.set(`${p}self_attn.k_proj.bias`, [c.num_key_value_heads * hd]);
      m.set(`${p}self_attn.v_proj.bias`, [c.num_key_value_heads * hd]);
    }
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediate_size, C]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediate_size, C]);
    m.set(`${p}mlp.down_proj.weight`, [C, c.intermediate_size]);
    m.set(`${p}input_layernorm.weight`, [C]);
    m.set(`${p}post_attention_layernorm.weight`, [C]);
  }
  return m;
}

/** Every tensor of a built folder, from model.safetensors or the shards its index names. */
function readFolder(dir: string): Map<string, { dtype: string; shape: number[]; data: Float32Array }> {
  const index = path.join(dir, 'model.safetensors.index.json');
  const files = fs.existsSync(index)
    ? [...new Set(Object.values(JSON.parse(fs.readFileSync(index, 'utf8')).weight_map as Record<string, string>))]
    : ['model.safetensors'];
  const out = new Map<string, { dtype: string; shape: number[]; data: Float32Array }>();
  for (const f of files) for (const [k, v] of readSafetensors(fs.readFileSync(path.join(dir, f)))) out.set(k, v);
  return out;
}

describe.each(NAMES)('fixture "%s"', (name) => {
  const opts = TINY_LLAMAS[name];
  const config = tinyLlamaConfig(opts);
  const g = modelGolden.models[name];

  it('is deterministic: the same bytes twice, and the bytes the golden values came from', () => {
    const a = tinyLlamaWeightFiles(opts);
    const b = tinyLlamaWeightFiles(opts);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [f, bytes] of a) expect(sha256(bytes), f).toBe(sha256(b.get(f)!));
    // A changed generator needs `/usr/bin/python3 scripts/golden/llama_golden.py` rerun.
    const dir = tinyLlamaDir(name);
    const { version: _v, ...stamp } = g.fixture;
    expect(stamp).toEqual(opts);
    for (const [f, hash] of Object.entries(g.files_sha256 as Record<string, string>)) {
      expect(sha256(fs.readFileSync(path.join(dir, f))), f).toBe(hash);
      if (f !== 'config.json') expect(sha256(a.get(f)!), f).toBe(hash);
    }
  });

  it("holds exactly the tensors config.json implies, under save_pretrained's names", () => {
    const dir = tinyLlamaDir(name);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as HFLlamaConfig;
    expect(onDisk).toEqual(config);
    expect(onDisk.vocab_size).toBe(151936);
    expect(onDisk.architectures).toEqual([onDisk.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM']);
    const tensors = readFolder(dir);
    const want = expectedShapes(onDisk);
    expect([...tensors.keys()].sort()).toEqual([...want.keys()].sort());
    const dtype = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' }[onDisk.torch_dtype as string];
    for (const [k, t] of tensors) {
      expect(t.shape, k).toEqual(want.get(k));
      expect(t.dtype, k).toBe(dtype);
    }
    expect(fs.readFileSync(path.join(dir, 'tokenizer.json')).length).toBeGreaterThan(1e6);
  });
});

describe('the sharded fixture', () => {
  it('lists every tensor once, in the shard that holds it, with the tensors of tiny-qwen2', () => {
    const dir = tinyLlamaDir('tiny-qwen2-sharded');
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    const map = index.weight_map as Record<string, string>;
    const shards = [...new Set(Object.values(map))].sort();
    expect(shards).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const seen: string[] = [];
    let bytes = 0;
    for (const shard of shards) {
      const file = fs.readFileSync(path.join(dir, shard));
      expect(readSafetensorsMetadata(file)).toEqual({ format: 'pt' });
      for (const [k, t] of readSafetensors(file)) {
        expect(map[k], k).toBe(shard);
        seen.push(k);
        bytes += t.data.length * 4;
      }
    }
    expect(seen.length).toBe(new Set(seen).size);
    expect(seen.sort()).toEqual(Object.keys(map).sort());
    expect(index.metadata.total_size).toBe(bytes);
    // A layer is cut between the shards, so loaders cannot assume one layer per file.
    expect(map['model.layers.0.self_attn.q_proj.weight']).not.toBe(map['model.layers.0.mlp.down_proj.weight']);
    const whole = readFolder(tinyLlamaDir('tiny-qwen2'));
    for (const [k, t] of readFolder(dir)) expect(sha256F32([t.data]), k).toBe(sha256F32([whole.get(k)!.data]));
  });
});

describe('golden token ids equal Tokenizers.js today', () => {
  it.each(NAMES)('%s', (name) => {
    const dir = tinyLlamaDir(name);
    const json = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const tok = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    const g = modelGolden.models[name];
    for (const t of g.texts) expect(tok.encode(t.text, { add_special_tokens: false }).ids, t.text).toEqual(t.ids);
    for (const q of g.greedy) {
      const ids = q.eot_prefix ? q.ids.slice(1) : q.ids;
      if (q.eot_prefix) expect(q.ids[0]).toBe(modelGolden.eot_id);
      expect(tok.encode(q.prompt, { add_special_tokens: false }).ids, q.prompt).toEqual(ids);
    }
    expect(tok.token_to_id('<|endoftext|>')).toBe(modelGolden.eot_id);
    // Both files name the same end of text, as Qwen2.5-0.5B's do.
    expect(json('config.json').eos_token_id).toBe(modelGolden.eot_id);
    expect(json('tokenizer_config.json').eos_token).toBe('<|endoftext|>');
  });
});

describe('synthetic weights agree with the Python goldens bit for bit', () => {
  it.each(Object.keys(SYNTHETIC_LLAMAS) as (keyof typeof SYNTHETIC_LLAMAS)[])('train-llama-tiny.json: %s', (family) => {
    const g = trainGolden.models[family];
    const config = SYNTHETIC_LLAMAS[family];
    expect(g.config).toEqual(config);
    const w = syntheticLlamaWeights(config, g.weight_seed);
    expect([...w.keys()]).toEqual(g.param_order);
    for (const [k, t] of w) expect(g.grad.grads[k].shape, k).toEqual(t.shape);
    expect(sha256F32([...w.values()].map((t) => t.data))).toBe(g.init_sha256);
  });

  it.each(['gpt2', 'qwen2'])('lora-tiny.json: %s', (family) => {
    const g = loraGolden.families[family];
    const gpt2 = family === 'gpt2';
    const modules = gpt2 ? gpt2LoraModules(syntheticConfig(g.config)) : llamaLoraModules(g.config);
    if (!gpt2) expect(g.config).toEqual(SYNTHETIC_LLAMAS.qwen2);
    const base = gpt2 ? syntheticWeights(syntheticConfig(g.config), g.weight_seed) : syntheticLlamaWeights(g.config, g.weight_seed);
    expect(sha256F32([...base.values()].map((t) => t.data))).toBe(g.base_init_sha256);
    expect(modules.map((m) => ({ path: m.path, in: m.in, out: m.out, lora_A: m.loraA, lora_B: m.loraB }))).toEqual(g.modules);
    const lora = syntheticLora(modules, g.lora.r, g.lora.seed, g.lora.b_scale);
    expect(sha256F32([...lora.values()].map((t) => t.data))).toBe(g.lora.init_sha256);
    for (const [k, t] of lora) expect(g.grad.grads[k].shape, k).toEqual(t.shape);
    expect(g.lora.scaling).toBe(g.lora.lora_alpha / g.lora.r);
  });
});
