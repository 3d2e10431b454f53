#!/usr/bin/env python3
"""Writes tests/golden/train-llama-tiny.json: golden values for fine-tuning Llama / Qwen2.

    /usr/bin/python3 scripts/golden/llama_train_golden.py        (run from the repository root)

As train_golden.py does for GPT-2: the independent float64 model (llama_ref.py) with tiny
weights from the same 32-bit LCG as tests/helpers/synthetic.ts, in the parameter order of
tests/helpers/synthetic-llama.ts (Hugging Face's state_dict order), so TypeScript builds the
identical float32 weights and token rows without a checkpoint file. For each family:
1. One batch [B, T+1]: the mean next-token loss and the gradient of every parameter (the tied
   qwen2 head adds its gradient to model.embed_tokens.weight, as one shared tensor does).
2. Three optimizer steps over two micro-batches each (accumulation), with
   torch.nn.utils.clip_grad_norm_ (max norm 1.0) and torch.optim.AdamW (weight decay on 2-D
   weights only); the loss and pre-clip norm of each step and every weight afterwards.
No dropout (Llama and Qwen2 have attention_dropout 0 and no other). Tensors are base64
little-endian float32. CI has no torch: the JSON is committed.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_ref import LlamaRef  # noqa: E402
from train_golden import b64, lcg, synthetic_tokens  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# Mirrors SYNTHETIC_LLAMAS in tests/helpers/synthetic-llama.ts.
COMMON = {'vocab_size': 101, 'max_position_embeddings': 16, 'hidden_act': 'silu', 'rope_scaling': None,
          'attention_dropout': 0.0}
CONFIGS = {
    # GQA 4 query heads on 2 kv heads, q/k/v biases, tied head.
    'qwen2': {**COMMON, 'model_type': 'qwen2', 'architectures': ['Qwen2ForCausalLM'], 'hidden_size': 16, 'intermediate_size': 24, 'num_hidden_layers': 2,
              'num_attention_heads': 4, 'num_key_value_heads': 2, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0,
              'tie_word_embeddings': True},
    # head_dim 8 != 12 / 2, one kv head for two query heads, untied lm_head, no biases.
    'llama': {**COMMON, 'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'hidden_size': 12, 'intermediate_size': 20, 'num_hidden_layers': 2,
              'num_attention_heads': 2, 'num_key_value_heads': 1, 'head_dim': 8, 'rms_norm_eps': 1e-5,
              'rope_theta': 10000.0, 'tie_word_embeddings': False, 'attention_bias': False, 'mlp_bias': False},
}
WEIGHT_SEED = 5
B, T = 2, 8
GRAD_BATCH_SEED = 11
STEP_BATCH_SEEDS = [[21, 22], [23, 24], [25, 26]]  # per step: its micro-batches
LRS = [3e-3, 2e-3, 1e-3]
WEIGHT_DECAY = 0.1
CLIP = 1.0
BETAS, EPS = (0.9, 0.999), 1e-8


def param_table(c):
    """Hugging Face names and shapes in state_dict order (= llamaParamTable in tiny-llama.ts)."""
    C, F = c['hidden_size'], c['intermediate_size']
    hd = c.get('head_dim') or C // c['num_attention_heads']
    q, kv = c['num_attention_heads'] * hd, c['num_key_value_heads'] * hd
    bias = c['model_type'] == 'qwen2' or c.get('attention_bias', False)
    t = [('model.embed_tokens.weight', [c['vocab_size'], C])]
    for l in range(c['num_hidden_layers']):
        p = f'model.layers.{l}.'
        for proj, out in (('q', q), ('k', kv), ('v', kv)):
            t.append((f'{p}self_attn.{proj}_proj.weight', [out, C]))
            if bias:
                t.append((f'{p}self_attn.{proj}_proj.bias', [out]))
        t += [(p + 'self_attn.o_proj.weight', [C, q]), (p + 'mlp.gate_proj.weight', [F, C]),
              (p + 'mlp.up_proj.weight', [F, C]), (p + 'mlp.down_proj.weight', [C, F]),
              (p + 'input_layernorm.weight', [C]), (p + 'post_attention_layernorm.weight', [C])]
    t.append(('model.norm.weight', [C]))
    if not c['tie_word_embeddings']:
        t.append(('lm_head.weight', [c['vocab_size'], C]))
    return t


def init(name):
    """(offset, scale) of each parameter kind, as synthetic-llama.ts' init."""
    if name.endswith('norm.weight'):
        return 1.0, 0.1
    if name.endswith('.bias'):
        return 0.0, 0.1
    if name in ('model.embed_tokens.weight', 'lm_head.weight'):
        return 0.0, 0.3
    return 0.0, 0.2


def synthetic_weights(c, seed):
    """Parameter i seeded with seed * 1000 + i; float32 values like the TS, held as float64."""
    out = {}
    for i, (name, shape) in enumerate(param_table(c)):
        rand = lcg(seed * 1000 + i)
        offset, scale = init(name)
        data = np.array([offset + next(rand) * scale for _ in range(int(np.prod(shape)))], dtype=np.float32)
        out[name] = torch.tensor(data.astype(np.float64).reshape(shape), requires_grad=True)
    return out


def rows(seed, vocab):
    flat = synthetic_tokens(B * (T + 1), vocab, seed)
    return [flat[b * (T + 1):(b + 1) * (T + 1)] for b in range(B)]


def batch_loss(model, batch):
    """Mean over all B*T positions of -log p(next token)."""
    total = 0
    for row in batch:
        logp = model.forward(row[:-1]).log_softmax(-1)  # [T, V]
        total = total + -logp[torch.arange(len(row) - 1), torch.tensor(row[1:])].sum()
    return total / sum(len(row) - 1 for row in batch)


def adamw_steps(params, loss_of_seeds, clip=CLIP):
    """Three AdamW steps over `params` (name -> leaf tensor) with accumulation and clipping."""
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    groups = [{'params': decay, 'weight_decay': WEIGHT_DECAY}]
    if no_decay:
        groups.append({'params': no_decay, 'weight_decay': 0.0})
    opt = torch.optim.AdamW(groups, lr=LRS[0], betas=BETAS, eps=EPS)
    steps = []
    for lr, seeds in zip(LRS, STEP_BATCH_SEEDS):
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad()
        step_loss = 0.0
        for s in seeds:
            loss = loss_of_seeds(s) / len(seeds)  # as Hugging Face divides by accumulation steps
            loss.backward()
            step_loss += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), clip).item()
        opt.step()
        steps.append({'lr': lr, 'seeds': seeds, 'loss': step_loss, 'grad_norm': norm})
    print(f'  step grad norms {[round(s["grad_norm"], 4) for s in steps]}', file=sys.stderr)
    assert any(s['grad_norm'] > clip for s in steps), 'golden steps should exercise clipping'
    return steps


def sha256_f32(tensors):
    """sha256 of the tensors' float32 little-endian bytes, concatenated in order: a TS test
    rebuilds the synthetic weights and compares, so the two LCG fills agree bit for bit."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().numpy().astype('<f4').tobytes())
    return h.hexdigest()


def tensors_b64(params):
    return {name: {'shape': list(p.shape), 'data': b64(p)} for name, p in params.items()}


def golden_for(c):
    w = synthetic_weights(c, WEIGHT_SEED)
    init_sha = sha256_f32(w.values())
    loss = batch_loss(LlamaRef(c, w), rows(GRAD_BATCH_SEED, c['vocab_size']))
    loss.backward()
    grads = {name: {'shape': list(p.shape), 'norm': p.grad.norm().item(), 'data': b64(p.grad)} for name, p in w.items()}

    w = synthetic_weights(c, WEIGHT_SEED)
    model = LlamaRef(c, w)
    steps = adamw_steps(w, lambda s: batch_loss(model, rows(s, c['vocab_size'])))
    return {
        'config': c, 'weight_seed': WEIGHT_SEED, 'init_sha256': init_sha, 'param_order': [n for n, _ in param_table(c)],
        'grad': {'batch_seed': GRAD_BATCH_SEED, 'loss': loss.item(), 'grads': grads},
        'adamw': {'steps': steps, 'weights': tensors_b64(w)},
    }


def main():
    out = {
        'generator': 'scripts/golden/llama_train_golden.py (PyTorch float64, llama_ref.py, torch.optim.AdamW)',
        'batch': B, 'block': T,
        'adamw': {'weight_decay': WEIGHT_DECAY, 'decay': '2-D weights only', 'clip': CLIP, 'betas': list(BETAS), 'eps': EPS},
        'models': {},
    }
    for family, c in CONFIGS.items():
        print(family, file=sys.stderr)
        out['models'][family] = golden_for(c)
    path = os.path.join(ROOT, 'tests', 'golden', 'train-llama-tiny.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
