// Deterministic LoRA adapters from the LCG of synthetic.ts, reproducible bit for bit in Python
// (scripts/golden/lora_golden.py), so the LoRA goldens need no checkpoint file. Modules in
// PEFT's order (the model's named_modules), keys as PeftModel.save_pretrained writes them.
import type { GPT2Config } from '../../src/lib/model/gpt2/index.ts';
import type { HFLlamaConfig } from '../../scripts/fixtures/tiny-llama.ts';
import { lcg } from './synthetic.ts';

/** One adapted projection: its module path in the Hugging Face model and its sizes. */
export interface LoraModule {
  path: string;
  in: number;
  out: number;
  /** PEFT's key of lora_A ([r, in]) and lora_B ([out, r]) in adapter_model.safetensors. */
  loraA: string;
  loraB: string;
}

const peft = (path: string, which: 'A' | 'B') => `base_model.model.${path}.lora_${which}.weight`;
const mod = (path: string, fanIn: number, fanOut: number): LoraModule => ({ path, in: fanIn, out: fanOut, loraA: peft(path, 'A'), loraB: peft(path, 'B') });

/** GPT-2 with targets c_attn, c_proj, c_fc: 'c_proj' names both attn.c_proj and mlp.c_proj. */
export function gpt2LoraModules(c: GPT2Config): LoraModule[] {
  const C = c.n_embd;
  const out: LoraModule[] = [];
  for (let l = 0; l < c.n_layer; l++) {
    const h = `transformer.h.${l}.`;
    out.push(mod(`${h}attn.c_attn`, C, 3 * C), mod(`${h}attn.c_proj`, C, C), mod(`${h}mlp.c_fc`, C, 4 * C), mod(`${h}mlp.c_proj`, 4 * C, C));
  }
  return out;
}

/** Llama / Qwen2 with targets q, k, v, o, gate, up, down. */
export function llamaLoraModules(c: HFLlamaConfig): LoraModule[] {
  const C = c.hidden_size;
  const hd = c.head_dim ?? C / c.num_attention_heads;
  const q = c.num_attention_heads * hd;
  const kv = c.num_key_value_heads * hd;
  const F = c.intermediate_size;
  const out: LoraModule[] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(mod(`${p}self_attn.q_proj`, C, q), mod(`${p}self_attn.k_proj`, C, kv), mod(`${p}self_attn.v_proj`, C, kv));
    out.push(mod(`${p}self_attn.o_proj`, q, C), mod(`${p}mlp.gate_proj`, C, F), mod(`${p}mlp.up_proj`, C, F), mod(`${p}mlp.down_proj`, F, C));
  }
  return out;
}

/**
 * Adapters under PEFT's keys: lora_A [r, in] uniform in ±1/sqrt(in) (kaiming_uniform_(a=√5)'s
 * range), lora_B [out, r] uniform in ±bScale (nonzero, unlike PEFT, so A gets a gradient);
 * adapter tensor j (A then B per module) seeded with seed * 1000 + j.
 */
export function syntheticLora(modules: LoraModule[], r: number, seed: number, bScale = 0.1): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  modules.forEach((m, i) => {
    const parts = [
      { key: m.loraA, shape: [r, m.in], scale: 1 / Math.sqrt(m.in) },
      { key: m.loraB, shape: [m.out, r], scale: bScale },
    ];
    parts.forEach(({ key, shape, scale }, j) => {
      const rand = lcg(seed * 1000 + 2 * i + j);
      const data = new Float32Array(shape[0] * shape[1]);
      for (let k = 0; k < data.length; k++) data[k] = rand() * scale;
      out.set(key, { shape, data });
    });
  });
  return out;
}
