#!/usr/bin/env python3
"""Writes tests/golden/llama-tiny.json: golden values from the independent PyTorch Llama /
Qwen2 (llama_ref.py) for the tiny fixtures that scripts/fixtures/tiny-llama.ts builds.

    /usr/bin/python3 scripts/golden/llama_golden.py        (run from the repository root)

1. builds the fixtures (`npm run -s fixtures`, deterministic);
2. tokenizes fixed texts with Hugging Face's own Tokenizers.js (`@huggingface/tokenizers`,
   via node) on the fixtures' tokenizer.json + tokenizer_config.json, as ordinary text (no
   chat template, nothing prepended), so the ids are part of the golden file and tests need no
   tokenizer of ours;
3. per model: per-position next-token losses for each text, and greedy continuations (full
   recompute each step) with the smallest top-1/top-2 logit margin seen, so a test can tell
   a real mismatch from a near-tie; also greedy after the end-of-text id alone.
CI has no torch: the JSON is committed, and the tests compare against it.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_ref import greedy, load_model, token_losses  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODELS = ['tiny-qwen2', 'tiny-qwen2-sharded', 'tiny-qwen2-bf16', 'tiny-llama']
TEXTS = [
    'The quick brown fox jumps over the lazy dog.',
    'ひろゆき: それってあなたの感想ですよね？ 日本語のツイートも大丈夫。',
    '今天天气很好，我们去公园散步吧。机器学习真有意思！',
    'Just shipped it \U0001F680\U0001F525 so proud of the team \U0001F44F\U0001F3FD #buildinpublic @huggingface https://t.co/abc123',
]
# (prompt, prefix <|endoftext|>?, new tokens)
GREEDY = [('My dream is', False, 40), ('今日は', False, 30), ('My dream is', True, 30), ('', True, 30)]
EOT = 151643
MIN_MARGIN = 1e-3  # below this, float32 backends may legitimately pick the other token


def encode(texts, model_dir):
    """Token ids of each text from Tokenizers.js, on the folder's own tokenizer files."""
    js = ("import { Tokenizer } from '@huggingface/tokenizers';"
          "import fs from 'node:fs';"
          "const [dir, texts] = JSON.parse(fs.readFileSync(0, 'utf8'));"
          "const read = (f) => JSON.parse(fs.readFileSync(dir + '/' + f, 'utf8'));"
          "const tok = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));"
          "console.log(JSON.stringify(texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids)));")
    res = subprocess.run(['node', '--input-type=module', '-e', js], input=json.dumps([model_dir, texts]),
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(res.stdout)


def golden_for(name):
    d = os.path.join(ROOT, '.fixtures', 'models', name)
    with open(os.path.join(d, '.tiny-model.json')) as f:
        fixture = json.load(f)
    text_ids = encode(TEXTS, d)
    prompt_ids = encode([p for p, _, _ in GREEDY], d)
    model = load_model(d)
    # The bytes the values were computed from: a test rebuilds the fixture and compares, so a
    # changed generator cannot leave this file stale.
    files = sorted(f for f in os.listdir(d) if f == 'config.json' or f.startswith('model'))
    sha = {f: hashlib.sha256(open(os.path.join(d, f), 'rb').read()).hexdigest() for f in files}
    entry = {'fixture': fixture, 'files_sha256': sha, 'texts': [], 'greedy': []}
    for text, ids in zip(TEXTS, text_ids):
        entry['texts'].append({'text': text, 'ids': ids, 'losses': token_losses(model, ids)})
    for (prompt, prefix, n), ids in zip(GREEDY, prompt_ids):
        ids = ([EOT] if prefix else []) + ids
        new, margin = greedy(model, ids, n)
        entry['greedy'].append({'prompt': prompt, 'eot_prefix': prefix, 'ids': ids, 'new_ids': new, 'min_margin': margin})
    margins = [g['min_margin'] for g in entry['greedy']]
    print(f'{name}: margins {[round(m, 5) for m in margins]}', file=sys.stderr)
    assert min(margins) > MIN_MARGIN, f'{name}: a greedy near-tie ({min(margins)}); change the fixture seed'
    return entry


def main():
    subprocess.run(['npm', 'run', '-s', 'fixtures'], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = {'generator': 'scripts/golden/llama_golden.py (PyTorch float64, llama_ref.py; ids from @huggingface/tokenizers)',
           'eot_id': EOT, 'models': {}}
    for name in MODELS:
        out['models'][name] = golden_for(name)
    # The sharded folder holds tiny-qwen2's weights: the reference must read the same model.
    a, b = out['models']['tiny-qwen2'], out['models']['tiny-qwen2-sharded']
    assert [t['losses'] for t in a['texts']] == [t['losses'] for t in b['texts']], 'sharded weights differ'
    assert [g['new_ids'] for g in a['greedy']] == [g['new_ids'] for g in b['greedy']], 'sharded greedy differs'
    path = os.path.join(ROOT, 'tests', 'golden', 'llama-tiny.json')
    text = json.dumps(out, indent=1, ensure_ascii=False)
    # Arrays of numbers on one line each: a readable file and small diffs.
    text = re.sub(r'\[\s*([-0-9.e+,\s]+?)\s*\]', lambda m: '[' + ', '.join(x.strip() for x in m.group(1).split(',')) + ']', text)
    with open(path, 'w') as f:
        f.write(text + '\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
