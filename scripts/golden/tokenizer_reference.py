#!/usr/bin/env python3
# Usage: python3 scripts/golden/tokenizer_reference.py VOCAB_JSON MERGES_TXT < one JSON string per line
# Needs the `regex` module (pip install regex), as encoder.py did. Used by tests/unit/tokenizer-bpe.test.ts.
# OpenAI's gpt-2/src/encoder.py, condensed: the reference the model was trained with.
import json, sys, regex
from functools import lru_cache
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]; n = 0
    for b in range(2**8):
        if b not in bs: bs.append(b); cs.append(2**8+n); n += 1
    return dict(zip(bs, [chr(c) for c in cs]))
vocab_path, merges_path = sys.argv[1], sys.argv[2]
encoder = json.load(open(vocab_path, encoding='utf-8'))
merges = [tuple(l.split()) for l in open(merges_path, encoding='utf-8').read().split('\n')[1:-1]]
ranks = dict(zip(merges, range(len(merges))))
b2u = bytes_to_unicode()
pat = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
@lru_cache(maxsize=None)
def bpe(token):
    word = tuple(token)
    pairs = set(zip(word, word[1:]))
    if not pairs: return token
    while True:
        bigram = min(pairs, key=lambda p: ranks.get(p, float('inf')))
        if bigram not in ranks: break
        first, second = bigram; new_word = []; i = 0
        while i < len(word):
            try: j = word.index(first, i); new_word.extend(word[i:j]); i = j
            except ValueError: new_word.extend(word[i:]); break
            if word[i] == first and i < len(word)-1 and word[i+1] == second: new_word.append(first+second); i += 2
            else: new_word.append(word[i]); i += 1
        word = tuple(new_word)
        if len(word) == 1: break
        pairs = set(zip(word, word[1:]))
    return ' '.join(word)
def encode(text):
    out = []
    for token in regex.findall(pat, text):
        token = ''.join(b2u[b] for b in token.encode('utf-8'))
        out.extend(encoder[t] for t in bpe(token).split(' '))
    return out
# stdin: one JSON string per line -> one JSON array per line
for line in sys.stdin:
    print(json.dumps(encode(json.loads(line)), separators=(",", ":")))
