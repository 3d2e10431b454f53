#!/usr/bin/env python3
"""Writes tests/golden/train-tiny.json: golden values for fine-tuning, from PyTorch.

    /usr/bin/python3 scripts/golden/train_golden.py        (run from the repository root)

The model is model-core's independent float64 GPT-2 (gpt2_ref.py) with tiny deterministic
weights: the same 32-bit LCG as tests/helpers/synthetic.ts (integer arithmetic, so both
languages produce identical float32 weights and token rows without any checkpoint file).

1. One batch [B, T+1]: the mean next-token loss and the gradient of every parameter.
2. Three optimizer steps, each over two micro-batches (gradient accumulation), with
   torch.nn.utils.clip_grad_norm_ (max norm 1.0) and torch.optim.AdamW (weight decay on 2-D
   weights only): the loss and pre-clip norm of each step and every weight afterwards.
Tensors are stored as base64 little-endian float32 (the reference is float64; float32 keeps
~7 digits, far finer than the tolerances) so every parameter is checked in a small file.
CI has no torch: the JSON is committed.
"""
import base64
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import GPT2Ref  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# Mirrors syntheticConfig({ n_embd: 8 }) in tests/helpers/synthetic.ts.
CONFIG = {
    'vocab_size': 101, 'n_positions': 16, 'n_embd': 8, 'n_layer': 2, 'n_head': 2,
    'layer_norm_epsilon': 1e-5, 'activation_function': 'gelu_new',
    'resid_pdrop': 0.0, 'embd_pdrop': 0.0, 'attn_pdrop': 0.0, 'n_inner': None, 'model_type': 'gpt2',
}
WEIGHT_SEED = 3
B, T = 2, 8
GRAD_BATCH_SEED = 11
STEP_BATCH_SEEDS = [[21, 22], [23, 24], [25, 26]]  # per step: its micro-batches
LRS = [3e-3, 2e-3, 1e-3]
WEIGHT_DECAY = 0.1
CLIP = 1.0


def lcg(seed):
    """Numerical Recipes' LCG; yields uniform [-1, 1) exactly as synthetic.ts does."""
    s = seed & 0xFFFFFFFF
    while True:
        s = (1664525 * s + 1013904223) & 0xFFFFFFFF
        yield (s / 4294967296) * 2 - 1


def param_table(c):
    """Names and shapes in src/lib/model/params.ts' order (the order seeds are given in)."""
    C, V, P, F = c['n_embd'], c['vocab_size'], c['n_positions'], 4 * c['n_embd']
    t = [('wte.weight', [V, C]), ('wpe.weight', [P, C])]
    for l in range(c['n_layer']):
        h = f'h.{l}.'
        t += [(h + 'ln_1.weight', [C]), (h + 'ln_1.bias', [C]), (h + 'attn.c_attn.weight', [C, 3 * C]),
              (h + 'attn.c_attn.bias', [3 * C]), (h + 'attn.c_proj.weight', [C, C]), (h + 'attn.c_proj.bias', [C]),
              (h + 'ln_2.weight', [C]), (h + 'ln_2.bias', [C]), (h + 'mlp.c_fc.weight', [C, F]),
              (h + 'mlp.c_fc.bias', [F]), (h + 'mlp.c_proj.weight', [F, C]), (h + 'mlp.c_proj.bias', [C])]
    return t + [('ln_f.weight', [C]), ('ln_f.bias', [C])]


def init(name):
    if name.endswith(('ln_1.weight', 'ln_2.weight', 'ln_f.weight')):
        return 1.0, 0.1
    if name.endswith('.bias'):
        return 0.0, 0.05
    if name in ('wte.weight', 'wpe.weight'):
        return 0.0, 0.3
    return 0.0, 0.2


def synthetic_weights(c, seed):
    out = {}
    for i, (name, shape) in enumerate(param_table(c)):
        n = int(np.prod(shape))
        rand = lcg(seed * 1000 + i)
        offset, scale = init(name)
        data = np.array([offset + next(rand) * scale for _ in range(n)], dtype=np.float32)  # float32 like the TS
        out[name] = torch.tensor(data.astype(np.float64).reshape(shape), requires_grad=True)
    return out


def synthetic_tokens(n, vocab, seed):
    rand = lcg(seed)
    return [math.floor(((next(rand) + 1) / 2) * vocab) for _ in range(n)]


def rows(seed):
    flat = synthetic_tokens(B * (T + 1), CONFIG['vocab_size'], seed)
    return [flat[b * (T + 1):(b + 1) * (T + 1)] for b in range(B)]


def batch_loss(model, batch):
    """Mean over all B*T positions of -log p(next token)."""
    total = 0
    for row in batch:
        logp = model.forward(row[:-1]).log_softmax(-1)  # [T, V]
        total = total + -logp[torch.arange(T), torch.tensor(row[1:])].sum()
    return total / (len(batch) * T)


def b64(t):
    return base64.b64encode(t.detach().numpy().astype('<f4').tobytes()).decode('ascii')


def main():
    # 1. loss and every gradient for one batch
    w = synthetic_weights(CONFIG, WEIGHT_SEED)
    model = GPT2Ref(CONFIG, w)
    batch = rows(GRAD_BATCH_SEED)
    loss = batch_loss(model, batch)
    loss.backward()
    grads = {name: {'shape': list(p.shape), 'norm': p.grad.norm().item(), 'data': b64(p.grad)} for name, p in w.items()}

    # 2. three AdamW steps with accumulation and clipping
    w = synthetic_weights(CONFIG, WEIGHT_SEED)
    model = GPT2Ref(CONFIG, w)
    decay = [p for p in w.values() if p.dim() >= 2]
    no_decay = [p for p in w.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': WEIGHT_DECAY}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=LRS[0], betas=(0.9, 0.999), eps=1e-8)
    steps = []
    for lr, seeds in zip(LRS, STEP_BATCH_SEEDS):
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad()
        step_loss = 0.0
        for s in seeds:
            l = batch_loss(model, rows(s)) / len(seeds)  # as Hugging Face divides by accumulation steps
            l.backward()
            step_loss += l.item()
        norm = torch.nn.utils.clip_grad_norm_(list(w.values()), CLIP).item()
        opt.step()
        steps.append({'lr': lr, 'seeds': seeds, 'loss': step_loss, 'grad_norm': norm})
    clipped = [s['grad_norm'] > CLIP for s in steps]
    print(f'step grad norms {[round(s["grad_norm"], 4) for s in steps]} (clipped: {clipped})', file=sys.stderr)
    assert any(clipped), 'golden steps should exercise clipping'

    out = {
        'generator': 'scripts/golden/train_golden.py (PyTorch float64, gpt2_ref.py, torch.optim.AdamW)',
        'config': CONFIG, 'weight_seed': WEIGHT_SEED, 'batch': B, 'block': T,
        'grad': {'batch_seed': GRAD_BATCH_SEED, 'loss': loss.item(), 'grads': grads},
        'adamw': {'weight_decay': WEIGHT_DECAY, 'clip': CLIP, 'betas': [0.9, 0.999], 'eps': 1e-8, 'steps': steps,
                  'weights': {name: {'shape': list(p.shape), 'data': b64(p)} for name, p in w.items()}},
    }
    path = os.path.join(ROOT, 'tests', 'golden', 'train-tiny.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
