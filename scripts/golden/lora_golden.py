#!/usr/bin/env python3
"""Writes tests/golden/lora-tiny.json: golden values for LoRA fine-tuning (issue 22), from PyTorch.

    /usr/bin/python3 scripts/golden/lora_golden.py        (run from the repository root)

An independent LoRA written from PEFT's conventions (peft/tuners/lora/layer.py and
peft/utils/constants.py; read, not imported: peft is not installed), on the float64 reference
models: GPT-2 (gpt2_ref.py, train_golden.py's synthetic weights) and Qwen2 (llama_ref.py,
llama_train_golden.py's synthetic weights). The base weights are frozen. Adapters come from the
same LCG as tests/helpers/synthetic-lora.ts, in PEFT's module order, so TypeScript builds them
bit for bit. For each family:
1. one batch: the loss with adapters (and the base model's), every adapter gradient;
2. three AdamW steps on the adapters only, with accumulation and clipping (as the full
   fine-tuning goldens), and the adapters afterwards;
3. the merged weights W + scaling * (B A) (transposed for GPT-2's Conv1D) after those steps,
   under the base architecture's save_pretrained names, and the merged model's loss.
lora_B starts NONZERO here (PEFT zeros it so step 0 equals the base model) so that the gradient
reaches lora_A too; lora_dropout is 0 so the golden is deterministic.
CI has no torch: the JSON is committed.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_train_golden as lt  # noqa: E402
import train_golden as gt  # noqa: E402
from gpt2_ref import GPT2Ref  # noqa: E402
from llama_ref import LlamaRef  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
R, ALPHA = 4, 8
SCALING = ALPHA / R  # LoraLayer.update_layer: scaling = lora_alpha / r (use_rslora False)
LORA_SEED = 7
B_SCALE = 0.1
# Adapter gradients are smaller than a whole model's (about 0.5 here): a lower max norm so the
# steps are clipped.
CLIP = 0.3
# PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (peft/utils/constants.py), for the record:
PEFT_DEFAULT_TARGETS = {'gpt2': ['c_attn'], 'qwen2': ['q_proj', 'v_proj'], 'llama': ['q_proj', 'v_proj']}
# Every projection here, beyond PEFT's defaults, so each kind of adapter is checked.
TARGETS = {'gpt2': ['c_attn', 'c_proj', 'c_fc'], 'qwen2': ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']}


def gpt2_modules(c):
    """(module path under the HF model, in, out) in named_modules order. 'c_proj' matches both
    attn.c_proj and mlp.c_proj: PEFT's check_target_module_exists matches the name's last part."""
    C = c['n_embd']
    out = []
    for l in range(c['n_layer']):
        h = f'transformer.h.{l}.'
        out += [(h + 'attn.c_attn', C, 3 * C), (h + 'attn.c_proj', C, C), (h + 'mlp.c_fc', C, 4 * C), (h + 'mlp.c_proj', 4 * C, C)]
    return out


def qwen2_modules(c):
    C, F = c['hidden_size'], c['intermediate_size']
    hd = c.get('head_dim') or C // c['num_attention_heads']
    q, kv = c['num_attention_heads'] * hd, c['num_key_value_heads'] * hd
    out = []
    for l in range(c['num_hidden_layers']):
        p = f'model.layers.{l}.'
        out += [(p + 'self_attn.q_proj', C, q), (p + 'self_attn.k_proj', C, kv), (p + 'self_attn.v_proj', C, kv),
                (p + 'self_attn.o_proj', q, C), (p + 'mlp.gate_proj', C, F), (p + 'mlp.up_proj', C, F), (p + 'mlp.down_proj', F, C)]
    return out


def synthetic_adapters(modules, seed):
    """module -> (A [r, in], B [out, r]); adapter tensor j (A then B per module) seeded seed * 1000 + j."""
    out = {}
    for m, (path, fan_in, fan_out) in enumerate(modules):
        # lora_A: nn.init.kaiming_uniform_(a=sqrt(5)) draws from U(-1/sqrt(in), 1/sqrt(in)); the LCG
        # gives that range. lora_B: PEFT zeros it; here U(-0.1, 0.1) so A's gradient is not zero.
        pair = []
        for j, (shape, scale) in enumerate((([R, fan_in], 1 / math.sqrt(fan_in)), ([fan_out, R], B_SCALE))):
            rand = gt.lcg(seed * 1000 + 2 * m + j)
            data = np.array([next(rand) * scale for _ in range(shape[0] * shape[1])], dtype=np.float32)
            pair.append(torch.tensor(data.astype(np.float64).reshape(shape), requires_grad=True))
        out[path] = tuple(pair)
    return out


def lora_delta(x, a, b):
    # lora.Linear.forward: result + lora_B(lora_A(dropout(x))) * scaling; nn.Linear computes
    # x W^T, so A [r, in] and B [out, r] act as x A^T B^T whatever the base layer stores.
    return (x @ a.T) @ b.T * SCALING


class LoraGPT2(GPT2Ref):
    def __init__(self, config, weights, adapters):
        super().__init__(config, weights)
        self.adapters = adapters

    def conv1d(self, x, name):
        y = super().conv1d(x, name)
        ab = self.adapters.get('transformer.' + name)
        return y if ab is None else y + lora_delta(x, *ab)


class LoraLlama(LlamaRef):
    def __init__(self, config, weights, adapters):
        super().__init__(config, weights)
        self.adapters = adapters

    def linear(self, x, name, bias):
        y = super().linear(x, name, bias)
        ab = self.adapters.get(name)
        return y if ab is None else y + lora_delta(x, *ab)


def peft_key(path, which):
    # PeftModel.save_pretrained / get_peft_model_state_dict: 'base_model.model.' + module path +
    # '.lora_A.weight', the adapter name ('default') removed.
    return f'base_model.model.{path}.lora_{which}.weight'


def adapter_params(adapters):
    return {peft_key(p, w): t for p, ab in adapters.items() for w, t in zip('AB', ab)}


def merged(base, adapters, conv1d):
    """Base weight name -> W + scaling * delta, as lora.Linear.get_delta_weight: transpose(B @ A,
    fan_in_fan_out) * scaling, so GPT-2's Conv1D [in, out] gets (B A)^T."""
    out = {}
    for path, (a, b) in adapters.items():
        delta = (b @ a) * SCALING
        w = base[path + '.weight']
        out[path + '.weight'] = (w + (delta.T if conv1d else delta)).detach()
    return out


def frozen(weights):
    return {k: v.detach() for k, v in weights.items()}


def family(name):
    if name == 'gpt2':
        c = gt.CONFIG
        base = frozen(gt.synthetic_weights(c, gt.WEIGHT_SEED))
        hf_base = {'transformer.' + k: v for k, v in base.items()}  # save_pretrained names
        modules = gpt2_modules(c)
        make = lambda ad: LoraGPT2(c, base, ad)  # noqa: E731
        make_merged = lambda m: GPT2Ref(c, {**hf_base, **m})  # noqa: E731
        base_model = GPT2Ref(c, base)
        weight_seed = gt.WEIGHT_SEED
    else:
        c = lt.CONFIGS['qwen2']
        hf_base = frozen(lt.synthetic_weights(c, lt.WEIGHT_SEED))
        modules = qwen2_modules(c)
        make = lambda ad: LoraLlama(c, hf_base, ad)  # noqa: E731
        make_merged = lambda m: LlamaRef(c, {**hf_base, **m})  # noqa: E731
        base_model = LlamaRef(c, hf_base)
        weight_seed = lt.WEIGHT_SEED
    assert all(m[0].split('.')[-1] in TARGETS[name] for m in modules)
    base_sha = lt.sha256_f32(base.values() if name == 'gpt2' else hf_base.values())  # in synthetic order
    vocab = c['vocab_size']
    grad_rows = lt.rows(gt.GRAD_BATCH_SEED, vocab)

    adapters = synthetic_adapters(modules, LORA_SEED)
    params = adapter_params(adapters)
    init_sha = lt.sha256_f32(params.values())
    loss = lt.batch_loss(make(adapters), grad_rows)
    loss.backward()
    grads = {k: {'shape': list(p.shape), 'norm': p.grad.norm().item(), 'data': gt.b64(p.grad)} for k, p in params.items()}

    adapters = synthetic_adapters(modules, LORA_SEED)
    params = adapter_params(adapters)
    model = make(adapters)
    steps = lt.adamw_steps(params, lambda s: lt.batch_loss(model, lt.rows(s, vocab)), clip=CLIP)
    with torch.no_grad():
        after = lt.batch_loss(model, grad_rows).item()
        m = merged(hf_base, adapters, conv1d=name == 'gpt2')
        merged_loss = lt.batch_loss(make_merged(m), grad_rows).item()
    assert abs(after - merged_loss) < 1e-12, (after, merged_loss)  # merging must not change the model
    return {
        'config': c, 'weight_seed': weight_seed, 'base_init_sha256': base_sha,
        'lora': {'r': R, 'lora_alpha': ALPHA, 'scaling': SCALING, 'lora_dropout': 0.0, 'seed': LORA_SEED, 'b_scale': B_SCALE,
                 'init_sha256': init_sha,
                 'b_init': f'U(-{B_SCALE}, {B_SCALE}) from the LCG (PEFT: zeros)',
                 'a_init': 'U(-1/sqrt(in), 1/sqrt(in)) from the LCG (PEFT: kaiming_uniform_(a=sqrt(5)), the same range)',
                 'target_modules': TARGETS[name], 'peft_default_target_modules': PEFT_DEFAULT_TARGETS[name],
                 'fan_in_fan_out': name == 'gpt2'},
        'modules': [{'path': p, 'in': i, 'out': o, 'lora_A': peft_key(p, 'A'), 'lora_B': peft_key(p, 'B')} for p, i, o in modules],
        'grad': {'batch_seed': gt.GRAD_BATCH_SEED, 'loss': loss.item(),
                 'base_loss': lt.batch_loss(base_model, grad_rows).item(), 'grads': grads},
        'adamw': {'steps': steps, 'adapters': lt.tensors_b64(params), 'loss_after': after},
        'merged': {'loss': merged_loss, 'weights': lt.tensors_b64(m)},
    }


def main():
    assert gt.B == lt.B and gt.T == lt.T
    out = {
        'generator': 'scripts/golden/lora_golden.py (PyTorch float64, PEFT conventions, torch.optim.AdamW)',
        'batch': lt.B, 'block': lt.T,
        'adamw': {'weight_decay': lt.WEIGHT_DECAY, 'decay': 'every adapter (all are 2-D)', 'clip': CLIP,
                  'betas': list(lt.BETAS), 'eps': lt.EPS, 'lrs': lt.LRS},
        'families': {},
    }
    for name in ('gpt2', 'qwen2'):
        print(name, file=sys.stderr)
        out['families'][name] = family(name)
    path = os.path.join(ROOT, 'tests', 'golden', 'lora-tiny.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
