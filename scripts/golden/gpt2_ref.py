#!/usr/bin/env python3
"""An independent GPT-2 in PyTorch, for golden values.

Written from the GPT-2 paper's description and OpenAI's src/model.py, not from the tfjs code
it checks and not with `transformers` (not installed). Reads a Hugging Face folder's
config.json + model.safetensors (parsed by hand: 8-byte header length, JSON header, raw
little-endian data) and runs in float64 so it is the reference, not a peer.

Importable (load_model, GPT2Ref, token_losses, greedy) and a CLI:
    python3 scripts/golden/gpt2_ref.py --model DIR --ids 464,3290,318 [--safetensors FILE] [--logits last|all]
prints JSON {"ids", "losses": [per next token], "logits": [[V floats] per position], "argmax": [...]}.
--safetensors reads weights from another file (e.g. an exported model.safetensors) with
DIR's config.json.
"""
import argparse
import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch

DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32, 'U8': np.uint8}


def read_safetensors(path):
    """name -> float64 torch tensor; also returns __metadata__."""
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        raw = buf[base + begin:base + end]
        if info['dtype'] == 'BF16':
            # bfloat16 = the top 16 bits of a float32
            arr = (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(DTYPES[info['dtype']]).newbyteorder('<'))
        out[name] = torch.from_numpy(arr.astype(np.float64).reshape(info['shape']))
    return out, meta


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


class GPT2Ref:
    def __init__(self, config, weights):
        self.cfg = config
        # accept names with or without 'transformer.'; buffers and lm_head are not parameters
        self.w = {}
        for k, v in weights.items():
            k = k[len('transformer.'):] if k.startswith('transformer.') else k
            if re.fullmatch(r'h\.\d+\.attn\.(bias|masked_bias)', k) or k == 'lm_head.weight':
                continue
            self.w[k] = v

    def conv1d(self, x, name):
        # transformers' Conv1D: y = x W + b, W stored [in, out]. A method so lora_golden.py
        # can add its adapter path to every projection.
        return x @ self.w[name + '.weight'] + self.w[name + '.bias']

    def forward(self, ids):
        """ids: list[int] -> logits [T, V] (float64)."""
        c = self.cfg
        w = self.w
        C, nh = c['n_embd'], c['n_head']
        hs = C // nh
        T = len(ids)
        eps = c.get('layer_norm_epsilon', 1e-5)
        x = w['wte.weight'][torch.tensor(ids)] + w['wpe.weight'][:T]  # [T, C]
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for l in range(c['n_layer']):
            p = f'h.{l}.'
            a = layer_norm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], eps)
            qkv = self.conv1d(a, p + 'attn.c_attn')  # [T, 3C]
            q, k, v = qkv.split(C, dim=1)
            q, k, v = (t.view(T, nh, hs).transpose(0, 1) for t in (q, k, v))  # [nh, T, hs]
            att = (q @ k.transpose(1, 2)) / math.sqrt(hs)  # [nh, T, T]
            att = att.masked_fill(~causal, float('-inf')).softmax(-1)
            y = (att @ v).transpose(0, 1).reshape(T, C)
            x = x + self.conv1d(y, p + 'attn.c_proj')
            m = layer_norm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], eps)
            m = gelu_new(self.conv1d(m, p + 'mlp.c_fc'))
            x = x + self.conv1d(m, p + 'mlp.c_proj')
        x = layer_norm(x, w['ln_f.weight'], w['ln_f.bias'], eps)
        return x @ w['wte.weight'].T  # tied head: [T, V]


def load_model(model_dir, safetensors_path=None):
    with open(os.path.join(model_dir, 'config.json')) as f:
        config = json.load(f)
    assert config.get('activation_function', 'gelu_new') in ('gelu_new', 'gelu_pytorch_tanh')
    weights, _ = read_safetensors(safetensors_path or os.path.join(model_dir, 'model.safetensors'))
    return GPT2Ref(config, weights)


def token_losses(model, ids):
    """Cross-entropy of ids[t+1] given ids[:t+1], for t = 0 .. len-2."""
    logits = model.forward(ids)[:-1]
    logp = logits.log_softmax(-1)
    return [-logp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]


def greedy(model, ids, n):
    """n greedy tokens after ids (full recompute each step); also the smallest top-1/top-2 margin."""
    ids = list(ids)
    new, margin = [], float('inf')
    for _ in range(n):
        logits = model.forward(ids)[-1]
        top = torch.topk(logits, 2).values
        margin = min(margin, (top[0] - top[1]).item())
        nxt = int(torch.argmax(logits).item())
        new.append(nxt)
        ids.append(nxt)
    return new, margin


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', required=True, help='folder with config.json (and model.safetensors)')
    ap.add_argument('--safetensors', help='weights file to use instead of DIR/model.safetensors')
    ap.add_argument('--ids', required=True, help='comma-separated token ids')
    ap.add_argument('--logits', choices=['none', 'last', 'all'], default='last')
    args = ap.parse_args()
    model = load_model(args.model, args.safetensors)
    ids = [int(s) for s in args.ids.split(',') if s.strip()]
    logits = model.forward(ids)
    out = {'ids': ids, 'losses': token_losses(model, ids) if len(ids) > 1 else [],
           'argmax': logits.argmax(-1).tolist()}
    if args.logits == 'last':
        out['logits'] = [logits[-1].tolist()]
    elif args.logits == 'all':
        out['logits'] = logits.tolist()
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
