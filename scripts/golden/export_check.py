#!/usr/bin/env python3
"""Checks an exported model.safetensors the way transformers would meet it, and prints logits.

1. The file layout, read by hand (8-byte little-endian header length, JSON header, data):
   __metadata__ == {"format": "pt"}; tensors F32, contiguous, in bounds, not overlapping.
2. The names are exactly GPT2LMHeadModel.save_pretrained's for the config: every parameter
   of GPT2Model under `transformer.`, no `lm_head.weight` (tied to transformer.wte.weight,
   in _tied_weights_keys), no attn.bias/masked_bias (non-persistent buffers); shapes as
   the config says (Conv1D weights [in, out]).
3. Logits for --ids from the independent PyTorch GPT-2 in gpt2_ref.py (float64).

    /usr/bin/python3 scripts/golden/export_check.py --config DIR/config.json --safetensors FILE --ids 464,3290
prints JSON {"names", "metadata", "ids", "logits": [[V floats] per position], "argmax", "losses"};
any layout or naming problem is one line on stderr and exit status 1.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import GPT2Ref, read_safetensors, token_losses  # noqa: E402


def expected_shapes(cfg):
    """GPT2LMHeadModel.state_dict() after save_pretrained's filtering, name -> shape."""
    V, P, C = cfg['vocab_size'], cfg['n_positions'], cfg['n_embd']
    F = cfg.get('n_inner') or 4 * C
    out = {'transformer.wte.weight': [V, C], 'transformer.wpe.weight': [P, C],
           'transformer.ln_f.weight': [C], 'transformer.ln_f.bias': [C]}
    for l in range(cfg['n_layer']):
        p = f'transformer.h.{l}.'
        out.update({
            p + 'ln_1.weight': [C], p + 'ln_1.bias': [C],
            p + 'attn.c_attn.weight': [C, 3 * C], p + 'attn.c_attn.bias': [3 * C],
            p + 'attn.c_proj.weight': [C, C], p + 'attn.c_proj.bias': [C],
            p + 'ln_2.weight': [C], p + 'ln_2.bias': [C],
            p + 'mlp.c_fc.weight': [C, F], p + 'mlp.c_fc.bias': [F],
            p + 'mlp.c_proj.weight': [F, C], p + 'mlp.c_proj.bias': [C],
        })
    return out


def check_layout(path, cfg):
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    if 8 + n > len(buf):
        raise ValueError(f'header length {n} runs past the file ({len(buf)} bytes)')
    header = json.loads(buf[8:8 + n])
    meta = header.pop('__metadata__', None)
    if meta != {'format': 'pt'}:
        raise ValueError(f'__metadata__ is {meta!r}, save_pretrained writes {{"format": "pt"}}')
    want = expected_shapes(cfg)
    names = sorted(header)
    missing = sorted(set(want) - set(header))
    extra = sorted(set(header) - set(want))
    if missing or extra:
        raise ValueError(f'names differ from save_pretrained: missing {missing[:5]}, unexpected {extra[:5]}')
    spans = []
    for name, info in header.items():
        if info['dtype'] != 'F32':
            raise ValueError(f'{name}: dtype {info["dtype"]}, expected F32')
        if info['shape'] != want[name]:
            raise ValueError(f'{name}: shape {info["shape"]}, expected {want[name]}')
        b, e = info['data_offsets']
        numel = 1
        for d in info['shape']:
            numel *= d
        if e - b != 4 * numel:
            raise ValueError(f'{name}: {e - b} bytes for {numel} float32 values')
        spans.append((b, e, name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            raise ValueError(f'{name}: data starts at {b}, expected {pos} (gap or overlap)')
        pos = e
    if 8 + n + pos != len(buf):
        raise ValueError(f'data ends at {8 + n + pos}, file has {len(buf)} bytes')
    return names, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--config', required=True, help='config.json of the exported model')
    ap.add_argument('--safetensors', required=True, help='the exported model.safetensors')
    ap.add_argument('--ids', required=True, help='comma-separated token ids')
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    try:
        names, meta = check_layout(args.safetensors, cfg)
    except ValueError as e:
        sys.stderr.write(f'export_check: {e}\n')
        sys.exit(1)
    weights, _ = read_safetensors(args.safetensors)
    model = GPT2Ref(cfg, weights)
    ids = [int(s) for s in args.ids.split(',') if s.strip()]
    logits = model.forward(ids)
    json.dump({'names': names, 'metadata': meta, 'ids': ids, 'logits': logits.tolist(),
               'argmax': logits.argmax(-1).tolist(),
               'losses': token_losses(model, ids) if len(ids) > 1 else []}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
