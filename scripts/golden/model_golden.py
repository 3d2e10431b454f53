#!/usr/bin/env python3
"""Writes tests/golden/model-tiny.json: golden values from the independent PyTorch GPT-2
(gpt2_ref.py) for the tiny fixture checkpoints that scripts/fixtures/tiny-model.ts builds.

    python3 scripts/golden/model_golden.py        (run from the repository root)

1. builds the fixtures (`npm run -s fixtures`, deterministic);
2. tokenizes fixed texts with GPT-2's real tokenizer (js-tiktoken's gpt2, via node), so the
   ids are part of the golden file and tests need no tokenizer of ours;
3. per model: per-position next-token losses for each text, and greedy continuations
   (full recompute each step) with the smallest top-1/top-2 logit margin seen, so a test
   can tell a real mismatch from a near-tie.
CI has no torch: the JSON is committed, and the tests compare against it.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import greedy, load_model, token_losses  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODELS = ['tiny', 'tiny-bare', 'tiny-f16']
TEXTS = [
    'The quick brown fox jumps over the lazy dog.',
    'My dream is to fine-tune GPT-2 on my own tweets, right here in the browser \U0001F680 #NLP @huggingface',
    'ひろゆき: それってあなたの感想ですよね？ 日本語のツイートも大丈夫。',
    'Just setting up my twttr\n\nhttps://t.co/abc123 &amp; more   spaces, "quotes" and numbers 1,234.56!',
]
# (prompt, prefix <|endoftext|>?, new tokens)
GREEDY = [('My dream is', False, 60), ('My dream is', True, 40), ('', True, 40)]
EOT = 50256


def encode(texts):
    js = ("import {getEncoding} from 'js-tiktoken';"
          "const enc = getEncoding('gpt2');"
          "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
          "console.log(JSON.stringify(texts.map((t) => enc.encode(t))));")
    js = js.replace("require('fs')", "(await import('fs'))")
    res = subprocess.run(['node', '--input-type=module', '-e', js], input=json.dumps(texts),
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(res.stdout)


def main():
    subprocess.run(['npm', 'run', '-s', 'fixtures'], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    text_ids = encode(TEXTS)
    prompt_ids = encode([p for p, _, _ in GREEDY])
    out = {'generator': 'scripts/golden/model_golden.py (PyTorch float64, gpt2_ref.py)', 'models': {}}
    for name in MODELS:
        d = os.path.join(ROOT, '.fixtures', 'models', name)
        with open(os.path.join(d, '.tiny-model.json')) as f:
            fixture = json.load(f)
        model = load_model(d)
        entry = {'fixture': fixture, 'texts': [], 'greedy': []}
        for text, ids in zip(TEXTS, text_ids):
            entry['texts'].append({'text': text, 'ids': ids, 'losses': token_losses(model, ids)})
        for (prompt, prefix, n), ids in zip(GREEDY, prompt_ids):
            ids = ([EOT] if prefix else []) + ids
            new, margin = greedy(model, ids, n)
            entry['greedy'].append({'prompt': prompt, 'ids': ids, 'new_ids': new, 'min_margin': margin})
        out['models'][name] = entry
        print(f'{name}: margins {[round(g["min_margin"], 5) for g in entry["greedy"]]}', file=sys.stderr)
    path = os.path.join(ROOT, 'tests', 'golden', 'model-tiny.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(out, indent=1)
    # Arrays of numbers on one line each: a readable file and small diffs.
    text = re.sub(r'\[\s*([-0-9.e+,\s]+?)\s*\]', lambda m: '[' + ', '.join(x.strip() for x in m.group(1).split(',')) + ']', text)
    with open(path, 'w') as f:
        f.write(text + '\n')
    print(f'wrote {path}', file=sys.stderr)


if __name__ == '__main__':
    main()
