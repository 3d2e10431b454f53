// config.json parsing, the parameter table and the checkpoint name mapping.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { normalizeWeights, paramCount, paramTable, trainingFlopsPerToken } from '../../src/lib/model/gpt2/params.ts';

// distilbert/distilgpt2's config.json as published on the Hub (abridged task params).
const DISTILGPT2 = {
  _num_labels: 1,
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 6,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

describe('parseConfig', () => {
  it('accepts distilgpt2 and keeps unknown fields', () => {
    const c = parseConfig(DISTILGPT2);
    expect(c.n_layer).toBe(6);
    expect(c.n_inner).toBeNull();
    expect(c.task_specific_params).toEqual(DISTILGPT2.task_specific_params);
    expect(parseConfig(JSON.stringify(DISTILGPT2)).n_embd).toBe(768);
  });

  it('fills GPT2Config defaults for old configs', () => {
    const c = parseConfig({ n_embd: 64, n_head: 4, n_layer: 2, n_ctx: 128 });
    expect(c).toMatchObject({ vocab_size: 50257, n_positions: 128, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', resid_pdrop: 0.1 });
  });

  it.each([
    [{ ...DISTILGPT2, model_type: 'llama', architectures: ['LlamaForCausalLM'] }, /model_type "llama" is not GPT-2/],
    [{ model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 768 }, /model_type "bert" is not GPT-2/],
    [{ ...DISTILGPT2, model_type: undefined, architectures: ['GPTNeoForCausalLM'] }, /architecture GPTNeoForCausalLM is not GPT-2/],
    [{ hidden_size: 768 }, /does not look like a GPT-2 config/],
    [[1, 2], /expected a JSON object/],
    [{ ...DISTILGPT2, n_head: 5 }, /n_embd \(768\) must be divisible by n_head \(5\)/],
    [{ ...DISTILGPT2, n_layer: 0 }, /"n_layer" must be a positive integer, got 0/],
    [{ ...DISTILGPT2, activation_function: 'swish' }, /activation_function "swish" is not supported/],
    [{ ...DISTILGPT2, attn_pdrop: 1.5 }, /"attn_pdrop" must be a number in \[0, 1\)/],
    [{ ...DISTILGPT2, scale_attn_by_inverse_layer_idx: true }, /not supported/],
  ])('refuses %j', (json, message) => {
    expect(() => parseConfig(json)).toThrow(message);
  });

  // gpt2-xl's published config, and the sizes of Qwen2.5-7B (max_position_embeddings, intermediate_size) written GPT-2's way.
  const GPT2_XL = { ...DISTILGPT2, n_embd: 1600, n_head: 25, n_layer: 48 };
  const QWEN_7B_SIZED = { ...DISTILGPT2, n_embd: 3584, n_head: 28, n_layer: 28, n_positions: 131072, vocab_size: 152064, n_inner: 18944 };

  it('admits gpt2-xl and a Qwen2.5-7B-sized model', () => {
    expect(parseConfig(GPT2_XL).n_layer).toBe(48);
    expect(parseConfig(QWEN_7B_SIZED)).toMatchObject({ n_positions: 131072, vocab_size: 152064, n_inner: 18944 });
  });

  it.each([
    ['n_layer', 1_000_000, 256],
    ['n_embd', 2 ** 20, 16384],
    ['n_head', 1024, 256],
    ['n_positions', 2 ** 24, 131072],
    ['vocab_size', 2 ** 31, 262144],
    ['n_inner', 2 ** 20, 65536],
  ])('refuses %s = %i, one past any real model, in one line and at once', (key, value, max) => {
    const json = { ...DISTILGPT2, n_embd: 768, n_head: key === 'n_head' ? 1024 : 12, [key]: value };
    if (key === 'n_head') json.n_embd = 1024 * 8;
    if (key === 'n_embd') json.n_head = 16;
    const t0 = performance.now();
    expect(() => parseConfig(json)).toThrow(`config.json: "${key}" is ${value}; at most ${max} is accepted`);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(() => parseConfig({ ...json, [key]: max })).not.toThrow(/at most/);
  });
});

describe('paramTable', () => {
  it('counts distilgpt2 as 81,912,576 parameters (tied head) in save_pretrained order', () => {
    const c = parseConfig(DISTILGPT2);
    expect(paramCount(c)).toBe(81_912_576);
    const t = paramTable(c);
    expect(t[0]).toEqual({ name: 'wte.weight', shape: [50257, 768], decay: true, vocabRows: true });
    expect(t.find((s) => s.name === 'h.5.mlp.c_fc.weight')!.shape).toEqual([768, 3072]);
    expect(t.find((s) => s.name === 'h.0.ln_1.bias')!.decay).toBe(false);
    expect(t.at(-1)!.name).toBe('ln_f.bias');
    expect(t).toHaveLength(2 + 12 * 6 + 2);
  });

  it('derives the FLOP estimate from the table', () => {
    const c = parseConfig(DISTILGPT2);
    // 6 * (81,912,576 - 1024*768) + 12 * 6 * 768 * 128
    expect(trainingFlopsPerToken(c, 128)) .toBe(6 * (81_912_576 - 786_432) + 12 * 6 * 768 * 128);
  });
});

describe('normalizeWeights', () => {
  const c = parseConfig({ n_embd: 4, n_head: 2, n_layer: 1, n_positions: 3, vocab_size: 5 });
  const bare = new Map(paramTable(c).map((s) => [s.name, { shape: s.shape }]));

  it('strips transformer., skips attn buffers, takes lm_head as wte only when wte is absent', () => {
    const prefixed = new Map([...bare].map(([k, v]) => [`transformer.${k}`, v]));
    prefixed.set('transformer.h.0.attn.bias', { shape: [1, 1, 3, 3] });
    prefixed.set('transformer.h.0.attn.masked_bias', { shape: [] });
    prefixed.set('lm_head.weight', { shape: [5, 4] });
    expect([...normalizeWeights(c, prefixed).keys()]).toEqual([...bare.keys()]);
    const noWte = new Map(bare);
    const head = { shape: [5, 4] };
    noWte.delete('wte.weight');
    noWte.set('lm_head.weight', head);
    expect(normalizeWeights(c, noWte).get('wte.weight')).toBe(head);
  });

  it('says which tensors are missing, misshapen or unexpected', () => {
    const missing = new Map(bare);
    missing.delete('h.0.mlp.c_fc.bias');
    expect(() => normalizeWeights(c, missing)).toThrow(/missing h\.0\.mlp\.c_fc\.bias for a 1-layer GPT-2/);
    const wrong = new Map(bare).set('wpe.weight', { shape: [1024, 4] });
    expect(() => normalizeWeights(c, wrong)).toThrow(/"wpe.weight" has shape \[1024, 4\] but config.json implies \[3, 4\]/);
    const extra = new Map(bare).set('h.1.ln_1.weight', { shape: [4] });
    expect(() => normalizeWeights(c, extra)).toThrow(/unexpected tensors h\.1\.ln_1\.weight/);
  });
});
