#!/usr/bin/env python3
"""An independent Llama / Qwen2 in PyTorch, for golden values.

Written from Hugging Face's modeling_llama.py and modeling_qwen2.py (read, not imported:
`transformers` is not installed), not from the tfjs code it checks. Runs in float64 so it is
the reference, not a peer. Each line that follows a Hugging Face convention says which.

Reads a Hugging Face folder: config.json (`model_type` llama or qwen2) and model.safetensors,
or shards listed in model.safetensors.index.json.

Importable (load_model, LlamaRef; token_losses and greedy as in gpt2_ref) and a CLI:
    python3 scripts/golden/llama_ref.py --model DIR --ids 1,2,3 [--logits last|all|none]
prints JSON {"ids", "losses": [per next token], "argmax": [...], "logits": [...]}.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import greedy, read_safetensors, token_losses  # noqa: E402,F401  (re-exported)


def read_weights(model_dir):
    """name -> float64 tensor, from model.safetensors or the shards its index names."""
    index = os.path.join(model_dir, 'model.safetensors.index.json')
    if not os.path.exists(index):
        return read_safetensors(os.path.join(model_dir, 'model.safetensors'))[0]
    with open(index) as f:
        weight_map = json.load(f)['weight_map']
    out = {}
    for shard in sorted(set(weight_map.values())):
        out.update(read_safetensors(os.path.join(model_dir, shard))[0])
    return out


def rms_norm(x, weight, eps):
    # LlamaRMSNorm / Qwen2RMSNorm: variance of the input in float32 (here float64), no mean
    # subtraction, no bias; the weight multiplies after normalising.
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    # modeling_llama.rotate_half: the two halves of the head dimension, (-x2, x1) — not
    # interleaved pairs (that is the original Meta checkpoint layout, permuted at conversion).
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(positions, head_dim, theta):
    # LlamaRotaryEmbedding (rope_type "default"): inv_freq = 1 / theta^(2i/d), i < d/2;
    # emb = cat(freqs, freqs) so both halves of a head share a frequency (pairs i and i + d/2).
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = torch.outer(torch.tensor(positions, dtype=torch.float64), inv_freq)  # [T, d/2]
    emb = torch.cat((freqs, freqs), dim=-1)  # [T, d]
    return emb.cos(), emb.sin()


def apply_rotary(x, cos, sin):
    # apply_rotary_pos_emb: q_embed = q * cos + rotate_half(q) * sin (same for k)
    return x * cos + rotate_half(x) * sin


def repeat_kv(x, n_rep):
    # repeat_kv: [kv_heads, T, d] -> [kv_heads * n_rep, T, d]; query head h reads kv head h // n_rep.
    return x if n_rep == 1 else x.repeat_interleave(n_rep, dim=0)


class LlamaRef:
    def __init__(self, config, weights):
        assert config['model_type'] in ('llama', 'qwen2'), config['model_type']
        scaling = config.get('rope_scaling')
        assert scaling in (None, {}) or scaling.get('rope_type', scaling.get('type')) == 'default', scaling
        assert config.get('hidden_act', 'silu') == 'silu'
        self.cfg = config
        self.w = weights
        c = config
        self.C = c['hidden_size']
        self.nh = c['num_attention_heads']
        self.nkv = c.get('num_key_value_heads') or self.nh
        self.hd = c.get('head_dim') or self.C // self.nh  # LlamaAttention: config.head_dim, else hidden / heads
        self.eps = c.get('rms_norm_eps', 1e-6)
        self.theta = c.get('rope_theta', 10000.0)
        # Qwen2 has biases on q, k and v only; Llama on all four projections when attention_bias.
        self.qkv_bias = c['model_type'] == 'qwen2' or bool(c.get('attention_bias', False))
        self.o_bias = c['model_type'] == 'llama' and bool(c.get('attention_bias', False))
        self.mlp_bias = bool(c.get('mlp_bias', False))  # LlamaMLP only; Qwen2MLP has none
        # LlamaConfig and Qwen2Config default tie_word_embeddings to False; tied, lm_head is the embedding.
        tied = bool(c.get('tie_word_embeddings', False))
        assert tied or 'lm_head.weight' in weights, 'untied model without lm_head.weight'
        self.head = weights['model.embed_tokens.weight'] if tied else weights['lm_head.weight']

    def linear(self, x, name, bias):
        # nn.Linear: y = x W^T + b, W stored [out, in] (not GPT-2's Conv1D [in, out]).
        y = x @ self.w[name + '.weight'].T
        return y + self.w[name + '.bias'] if bias else y

    def forward(self, ids, positions=None):
        """ids: list[int] -> logits [T, V] (float64)."""
        w, C, nh, nkv, hd = self.w, self.C, self.nh, self.nkv, self.hd
        T = len(ids)
        positions = list(range(T)) if positions is None else positions
        cos, sin = rope_cos_sin(positions, hd, self.theta)
        x = w['model.embed_tokens.weight'][torch.tensor(ids)]  # [T, C]; no position table
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for layer in range(self.cfg['num_hidden_layers']):
            p = f'model.layers.{layer}.'
            a = rms_norm(x, w[p + 'input_layernorm.weight'], self.eps)
            q = self.linear(a, p + 'self_attn.q_proj', self.qkv_bias).view(T, nh, hd).transpose(0, 1)  # [nh, T, hd]
            k = self.linear(a, p + 'self_attn.k_proj', self.qkv_bias).view(T, nkv, hd).transpose(0, 1)  # [nkv, T, hd]
            v = self.linear(a, p + 'self_attn.v_proj', self.qkv_bias).view(T, nkv, hd).transpose(0, 1)
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)  # after the biases, before repeat_kv
            k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
            att = (q @ k.transpose(1, 2)) * hd ** -0.5  # scaling = head_dim ** -0.5
            att = att.masked_fill(~causal, float('-inf')).softmax(-1)
            y = (att @ v).transpose(0, 1).reshape(T, nh * hd)
            x = x + self.linear(y, p + 'self_attn.o_proj', self.o_bias)
            m = rms_norm(x, w[p + 'post_attention_layernorm.weight'], self.eps)
            # LlamaMLP / Qwen2MLP: down(silu(gate(x)) * up(x)), SwiGLU
            gate = self.linear(m, p + 'mlp.gate_proj', self.mlp_bias)
            up = self.linear(m, p + 'mlp.up_proj', self.mlp_bias)
            x = x + self.linear(torch.nn.functional.silu(gate) * up, p + 'mlp.down_proj', self.mlp_bias)
        x = rms_norm(x, w['model.norm.weight'], self.eps)
        return x @ self.head.T  # [T, V]


def load_model(model_dir):
    with open(os.path.join(model_dir, 'config.json')) as f:
        config = json.load(f)
    return LlamaRef(config, read_weights(model_dir))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', required=True, help='folder with config.json and the weights')
    ap.add_argument('--ids', required=True, help='comma-separated token ids')
    ap.add_argument('--logits', choices=['none', 'last', 'all'], default='last')
    args = ap.parse_args()
    model = load_model(args.model)
    ids = [int(s) for s in args.ids.split(',') if s.strip()]
    logits = model.forward(ids)
    out = {'ids': ids, 'losses': token_losses(model, ids) if len(ids) > 1 else [], 'argmax': logits.argmax(-1).tolist()}
    if args.logits != 'none':
        out['logits'] = logits.tolist() if args.logits == 'all' else [logits[-1].tolist()]
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
