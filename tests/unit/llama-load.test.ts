// Llama / Qwen2 configs and folders as the loader meets them: config.json's defaults and the
// variants refused in one line; parameter counts of the real models' shapes; a sharded folder
// giving exactly the single file's tensors; BF16 storage converted; and folders whose index,
// shards or tensors disagree refused, naming the file at fault.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLlamaConfig, paramCount } from '../../src/lib/model/llama/index.ts';
import { familyOf } from '../../src/lib/model/families.ts';
import { MAX_JSON_BYTES, folderFromBlobs, folderFromBytes } from '../../src/lib/model/hf-folder.ts';
import { writeSafetensors } from '../../src/lib/model/safetensors.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { TINY_LLAMAS, tinyLlamaConfig, tinyLlamaDir, tinyLlamaWeights } from '../../scripts/fixtures/tiny-llama.ts';

/** Qwen2.5-0.5B's config.json (the fields that size it). */
const QWEN25_05B = {
  model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
  num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1e6, tie_word_embeddings: true,
  vocab_size: 151936, rope_scaling: null, hidden_act: 'silu', use_sliding_window: false,
};
/** SmolLM2-135M's. */
const SMOLLM2_135M = {
  model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true,
  vocab_size: 49152, attention_bias: false, mlp_bias: false, hidden_act: 'silu', rope_scaling: null,
};


/** Bit-identical float arrays (toEqual walks millions of floats one matcher call at a time: minutes under load). */
function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
describe('config.json', () => {
  it('sizes Qwen2.5-0.5B and SmolLM2-135M as their model cards do', () => {
    const q = parseLlamaConfig(QWEN25_05B, 'qwen2');
    expect([q.head_dim, q.qkv_bias, q.o_bias, q.mlp_bias]).toEqual([64, true, false, false]);
    expect(paramCount(q)).toBe(494_032_768);
    const s = parseLlamaConfig(SMOLLM2_135M, 'llama');
    expect([s.head_dim, s.qkv_bias, s.o_bias]).toEqual([64, false, false]);
    expect(paramCount(s)).toBe(134_515_008);
  });

  it('takes Hugging Face defaults: kv heads = heads, head_dim = hidden / heads, untied, attention_bias on all four', () => {
    const c = parseLlamaConfig({ model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, attention_bias: true }, 'llama');
    expect([c.num_key_value_heads, c.head_dim, c.tie_word_embeddings, c.qkv_bias, c.o_bias, c.rms_norm_eps, c.rope_theta]).toEqual([4, 16, false, true, true, 1e-6, 10000]);
    expect(parseLlamaConfig({ ...QWEN25_05B, rope_scaling: { rope_type: 'default' } }, 'qwen2').rope_theta).toBe(1e6);
  });

  it.each([
    [{ rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling "linear" is not supported/],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /rope_scaling "llama3" is not supported/],
    [{ hidden_act: 'gelu' }, /hidden_act "gelu" is not supported/],
    [{ num_key_value_heads: 4 }, /multiple of num_key_value_heads/],
    [{ head_dim: 63 }, /head_dim \(63\) must be even/],
    [{ vocab_size: 10_000_000 }, /"vocab_size" is 10000000; at most/],
    [{ num_hidden_layers: 0 }, /"num_hidden_layers" must be a positive integer/],
    [{ rms_norm_eps: -1 }, /"rms_norm_eps" must be a positive number/],
    [{ use_sliding_window: true }, /use_sliding_window/],
    [{ model_type: 'llama' }, /model_type "llama" is not "qwen2"/],
  ])('refuses %j in one line', (patch, msg) => {
    expect(() => parseLlamaConfig({ ...QWEN25_05B, ...patch }, 'qwen2')).toThrow(msg);
  });

  it('chooses the family by model_type; none means GPT-2', () => {
    expect(familyOf({ model_type: 'qwen2' }).modelType).toBe('qwen2');
    expect(familyOf({ model_type: 'llama' }).modelType).toBe('llama');
    expect(familyOf({ n_embd: 8 }).modelType).toBe('gpt2');
    expect(() => familyOf({ model_type: 'toString' })).toThrow(/model_type "toString" is not supported/);
  });
});

/** The files of a fixture folder by name. */
function folderFiles(dir: string): Map<string, Uint8Array> {
  return new Map(fs.readdirSync(dir).filter((f) => !f.startsWith('.')).map((f) => [f, new Uint8Array(fs.readFileSync(path.join(dir, f)))]));
}

describe('Hugging Face names', () => {
  it.each(['tiny-qwen2', 'tiny-llama'] as const)('%s: toHF(fromHF(checkpoint)) gives back save_pretrained\'s names, byte-sorted', (name) => {
    const config = tinyLlamaConfig(TINY_LLAMAS[name]);
    const hf = tinyLlamaWeights(config, 1);
    const family = familyOf(config);
    const parsed = family.parseConfig(config);
    const logical = family.fromHF(parsed, hf);
    expect([...logical.keys()]).toEqual(family.paramTable(parsed).map((p) => p.name));
    expect([...logical.keys()].some((n) => n.startsWith('model.'))).toBe(false);
    const back = family.toHF(parsed, logical);
    expect([...back.keys()]).toEqual([...hf.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const [n, t] of back) expect(t).toBe(hf.get(n));
  });

  it('a tied checkpoint that also carries lm_head.weight loads without it', () => {
    const config = tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']);
    const hf = tinyLlamaWeights(config, 1);
    hf.set('lm_head.weight', hf.get('model.embed_tokens.weight')!);
    const family = familyOf(config);
    expect(family.fromHF(family.parseConfig(config), hf).has('lm_head.weight')).toBe(false);
  });
});

describe('model folders', () => {
  it('a sharded folder holds exactly the single file\'s tensors, under logical names', async () => {
    const one = await loadHFDir(tinyLlamaDir('tiny-qwen2'));
    const two = await loadHFDir(tinyLlamaDir('tiny-qwen2-sharded'));
    expect([...two.weights.keys()]).toEqual([...one.weights.keys()]);
    expect(one.weights.has('embed_tokens.weight') && !one.weights.has('lm_head.weight')).toBe(true);
    for (const [n, t] of one.weights) expect(sameFloats(two.weights.get(n)!.data, t.data), n).toBe(true);
    expect(Object.keys(one.tokenizerFiles).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
  });

  it('picked files: reads only those the folder needs, and gives what the disk loader gives', async () => {
    const dir = tinyLlamaDir('tiny-qwen2-sharded');
    const blobs = new Map<string, Blob>([...folderFiles(dir)].map(([n, b]) => [n, new Blob([b as Uint8Array<ArrayBuffer>])]));
    const untouchable = new Blob(['x']);
    untouchable.arrayBuffer = () => Promise.reject(new Error('read a file the folder does not need'));
    blobs.set('pytorch_model.bin', untouchable).set('README.md', untouchable);
    const picked = await folderFromBlobs(blobs);
    const disk = await loadHFDir(dir);
    expect(picked.family.modelType).toBe('qwen2');
    for (const [n, t] of disk.weights) expect(sameFloats(picked.weights.get(n)!.data, t.data), n).toBe(true);
    blobs.delete('model-00002-of-00002.safetensors');
    await expect(folderFromBlobs(blobs)).rejects.toThrow(/no model-00002-of-00002\.safetensors/);
  });

  it('BF16 storage comes back as float32, each value the float32 one rounded to 8 significant bits', async () => {
    const folder = await loadHFDir(tinyLlamaDir('tiny-qwen2-bf16'));
    const want = tinyLlamaWeights(tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2-bf16']), TINY_LLAMAS['tiny-qwen2-bf16'].seed);
    const got = folder.weights.get('layers.0.self_attn.q_proj.weight')!.data;
    const f32 = want.get('model.layers.0.self_attn.q_proj.weight')!.data;
    let exact = 0;
    for (let i = 0; i < f32.length; i++) {
      expect(Math.abs(got[i] - f32[i])).toBeLessThanOrEqual(Math.abs(f32[i]) * 2 ** -8);
      expect(new Uint32Array(Float32Array.of(got[i]).buffer)[0] & 0xffff).toBe(0); // a bfloat16 value
      if (got[i] === f32[i]) exact++;
    }
    expect(exact).toBeLessThan(f32.length / 10);
  });

  it('refuses folders whose index, shards and tensors disagree, naming the file', () => {
    const sharded = folderFiles(tinyLlamaDir('tiny-qwen2-sharded'));
    const index = JSON.parse(new TextDecoder().decode(sharded.get('model.safetensors.index.json')!));
    const withIndex = (weightMap: Record<string, string>) =>
      new Map(sharded).set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: weightMap })));
    const first = Object.keys(index.weight_map)[0];
    const cases: [Map<string, Uint8Array>, RegExp][] = [
      [withIndex({ ...index.weight_map, [first]: '../etc/passwd.safetensors' }), /not a \.safetensors file name/],
      [withIndex({ ...index.weight_map, [first]: 'model-00003-of-00003.safetensors' }), /no model-00003-of-00003\.safetensors \(named by model\.safetensors\.index\.json\)/],
      [withIndex({ ...index.weight_map, 'model.extra.weight': 'model-00001-of-00002.safetensors' }), /lists "model\.extra\.weight" in model-00001-of-00002\.safetensors, which does not hold it/],
      [withIndex(Object.fromEntries(Object.entries(index.weight_map as Record<string, string>).filter(([n]) => n !== first))), /is not listed for this file/],
      [new Map(sharded).set('model.safetensors.index.json', new TextEncoder().encode('{"weight_map": [1]}')), /no "weight_map" object/],
      [new Map([...sharded].filter(([n]) => n !== 'config.json')), /no config\.json/],
      [new Map(sharded).set('model.safetensors.index.json', new Uint8Array(MAX_JSON_BYTES + 1)), /model\.safetensors\.index\.json is over 16 MB/],
    ];
    for (const [files, msg] of cases) expect(() => folderFromBytes(files)).toThrow(msg);
  });

  it('checks names and shapes against config.json before decoding: missing, misshapen, unexpected', () => {
    const config = tinyLlamaConfig(TINY_LLAMAS['tiny-llama']);
    const weights = tinyLlamaWeights(config, 1);
    const folder = (w: typeof weights) =>
      new Map([['config.json', new TextEncoder().encode(JSON.stringify(config))], ['model.safetensors', writeSafetensors(w)]]);
    expect(folderFromBytes(folder(weights)).weights.size).toBe(weights.size);
    const without = new Map(weights);
    without.delete('lm_head.weight');
    expect(() => folderFromBytes(folder(without))).toThrow(/missing lm_head\.weight for a 3-layer llama/);
    const bent = new Map(weights).set('model.layers.1.self_attn.k_proj.weight', { shape: [48, 32], data: new Float32Array(48 * 32) });
    expect(() => folderFromBytes(folder(bent))).toThrow(/"layers\.1\.self_attn\.k_proj\.weight" has shape \[48, 32\] but config\.json implies \[32, 48\]/);
    const extra = new Map(weights).set('model.layers.3.mlp.up_proj.weight', { shape: [2], data: new Float32Array(2) });
    expect(() => folderFromBytes(folder(extra))).toThrow(/unexpected tensors layers\.3\.mlp\.up_proj\.weight/);
  });
});
