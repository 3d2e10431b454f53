#!/usr/bin/env python3
"""PyTorch CPU beside the page: one fine-tuning step of a distilgpt2-shaped GPT-2.

    /usr/bin/python3 bench/torch_step_time.py [--shape distilgpt2|tiny] [--blocks 64,256]
        [--threads 1,all] [--batch 4] [--steps 3] [--recompute no,yes]

The step the page runs (src/lib/train/step.ts with the defaults of src/lib/train/config.ts):
forward with dropout 0.1 (embeddings, attention probabilities, residual branches), mean
next-token cross-entropy over the tied head, backward, global gradient-norm clipping at 1.0,
AdamW (lr 1.372e-4, weight decay 0.0, betas 0.9/0.999, eps 1e-8). Random weights (std 0.02)
and random tokens: speed does not depend on their values. `--recompute yes` recomputes each
block in backward (torch.utils.checkpoint), as the page does by default (~+33% compute);
`no` is plain autodiff, what a PyTorch user runs. One warm-up step, then the median wall
time of --steps steps, and the process' CPU seconds per wall second over them (how many
cores it got: on a shared machine a thread count is only what it is given).

Each thread count runs in its own process with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set
before torch loads, as well as torch.set_num_threads: an OpenBLAS built with pthreads keeps
its own pool, which torch.set_num_threads does not size. The table names the BLAS library
the process loaded: Debian's torch multiplies through libblas.so.3, which is the reference
(netlib) BLAS unless an optimised one (OpenBLAS, BLIS) is installed or put on
LD_LIBRARY_PATH; the reference BLAS is ~15x slower and makes no comparison worth printing.

The model is written here rather than imported from scripts/golden/gpt2_ref.py: that one is
a float64, unbatched reference without dropout or parameters to train; this one is float32,
batched, and an nn.Module, as a PyTorch fine-tune runs.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

SHAPES = {'tiny': (2, 64, 4), 'distilgpt2': (6, 768, 12)}  # n_layer, n_embd, n_head (bench/common.ts)
VOCAB, POSITIONS, DROPOUT = 50257, 1024, 0.1
LR, WEIGHT_DECAY, CLIP = 1.372e-4, 0.0, 1.0  # TRAIN_DEFAULTS in src/lib/train/config.ts


def build_model(n_layer, C, nh):
    import torch
    from torch import nn
    import torch.nn.functional as F
    from torch.utils.checkpoint import checkpoint

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(C, eps=1e-5), nn.LayerNorm(C, eps=1e-5)
            self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
            self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
            self.drop = nn.Dropout(DROPOUT)
            self.register_buffer('causal', torch.tril(torch.ones(POSITIONS, POSITIONS, dtype=torch.bool)), persistent=False)

        def forward(self, x):
            B, T, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, nh, C // nh).transpose(1, 2) for t in (q, k, v))  # [B, nh, T, hs]
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C // nh)
            att = self.drop(att.masked_fill(~self.causal[:T, :T], float('-inf')).softmax(-1))
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + self.drop(self.attn_proj(y))
            return x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh')))  # gelu_new

    class GPT2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(VOCAB, C), nn.Embedding(POSITIONS, C)
            self.h = nn.ModuleList(Block() for _ in range(n_layer))
            self.ln_f, self.drop = nn.LayerNorm(C, eps=1e-5), nn.Dropout(DROPOUT)
            for p in self.parameters():
                if p.dim() == 2:
                    nn.init.normal_(p, std=0.02)
            self.recompute = False

        def forward(self, ids):  # ids [B, T+1]: inputs and their next tokens
            x, y = ids[:, :-1], ids[:, 1:]
            h = self.drop(self.wte(x) + self.wpe(torch.arange(x.shape[1])))
            for block in self.h:
                h = checkpoint(block, h, use_reentrant=False) if self.recompute else block(h)
            logits = self.ln_f(h) @ self.wte.weight.T  # tied head
            return F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))

    return GPT2()


def measure(shape, B, T, steps, recompute):
    """Runs in the child process: warm-up + `steps` timed steps -> a result dict."""
    import torch
    torch.manual_seed(0)
    model = build_model(*SHAPES[shape])
    model.recompute = recompute
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)

    def step():
        ids = torch.randint(0, VOCAB, (B, T + 1))
        opt.zero_grad(set_to_none=True)
        loss = model(ids)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return loss.item()

    step()  # warm-up: first allocations, oneDNN/BLAS set-up
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    cores = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    libs = {line.split()[-1] for line in open('/proc/self/maps') if '.so' in line}
    blas = sorted({os.path.basename(f) for f in libs if 'blas' in os.path.basename(f).lower()} - {'libblas.so.3'}) or \
        [f for f in libs if f.endswith('libblas.so.3')]  # the library behind libblas.so.3, else its path
    params = sum(p.numel() for p in model.parameters())
    return {'ms': times, 'cores': cores, 'threads': torch.get_num_threads(), 'blas': blas, 'params': params,
            'load': os.getloadavg()[0], 'torch': torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shape', default='distilgpt2', choices=SHAPES)
    ap.add_argument('--blocks', default='64,256')
    ap.add_argument('--threads', default='1,all', help="comma-separated counts; 'all' = every core")
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--recompute', default='no', help='no, yes or no,yes')
    ap.add_argument('--child', help=argparse.SUPPRESS)  # JSON of one run, in a fresh process
    a = ap.parse_args()
    if a.child:
        c = json.loads(a.child)
        import torch
        torch.set_num_threads(c['threads'])
        print(json.dumps(measure(a.shape, a.batch, c['T'], a.steps, c['recompute'])))
        return
    rows = []
    for T in (int(t) for t in a.blocks.split(',')):
        for threads in (os.cpu_count() if t == 'all' else int(t) for t in a.threads.split(',')):
            for recompute in (r == 'yes' for r in a.recompute.split(',')):
                env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'OPENBLAS_NUM_THREADS': str(threads)}
                child = json.dumps({'T': T, 'threads': threads, 'recompute': recompute})
                out = subprocess.run([sys.executable, __file__, '--shape', a.shape, '--batch', str(a.batch), '--steps', str(a.steps), '--child', child],
                                     env=env, check=True, capture_output=True, text=True).stdout
                r = {**json.loads(out), 'T': T, 'recompute': recompute}
                print(f"B{a.batch} x T{T}, {threads} thread(s), recompute {recompute}: {', '.join(f'{x:.0f}' for x in r['ms'])} ms, "
                      f"{r['cores']:.2f} cores, load {r['load']:.1f}", file=sys.stderr)
                rows.append(r)
    print_table(a, rows)


def print_table(a, rows):
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo') if line.startswith('model name')), '?')
    r0 = rows[0]
    print(f"\n### PyTorch CPU, one training step ({a.shape}, {r0['params'] / 1e6:.1f}M parameters, random weights)\n")
    print(f"{time.strftime('%Y-%m-%d', time.gmtime())}, torch {r0['torch']}, BLAS {', '.join(r0['blas']) or 'none found'}, "
          f"{cpu} ({os.cpu_count()} cores); median of {a.steps} steps after one warm-up step.\n")
    print('| model | batch x block | threads | blocks recomputed | ms/step (median) | steps timed (ms) | tokens/s | speed-up vs 1 thread | cores it got | CPU s/step | load (1 min) |')
    print('| --- | --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |')
    for r in rows:
        ms = statistics.median(r['ms'])
        one = next((o for o in rows if o['T'] == r['T'] and o['recompute'] == r['recompute'] and o['threads'] == 1), None)
        speedup = f"{statistics.median(one['ms']) / ms:.2f}x" if one and r['threads'] != 1 else ''
        print(f"| {a.shape} | B{a.batch} x T{r['T']} | {r['threads']} | {'yes' if r['recompute'] else 'no'} | {ms:.0f} | "
              f"{', '.join(f'{x:.0f}' for x in r['ms'])} | {a.batch * r['T'] / (ms / 1000):.1f} | {speedup} | {r['cores']:.2f} | {r['cores'] * ms / 1000:.2f} | {r['load']:.1f} |")


if __name__ == '__main__':
    main()
