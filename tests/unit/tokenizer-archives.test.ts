// Parity on real pipeline output: every kept tweet of the test archives (the two-account
// fixtures and the app's sample archives), read and cleaned by the ingest modules, under both
// rules, gets js-tiktoken's ids and round-trips; the raw full_text too.
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import { getEncoding } from 'js-tiktoken';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { readArchive } from '../../src/lib/archive/read-archive.ts';
import { buildDataset, keptTexts } from '../../src/lib/dataset/table.ts';
import { buildTwoAccountArchives } from '../../scripts/fixtures/archive.ts';
import { sampleArchives } from '../../scripts/fixtures/sample-archive.ts';
import { GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';

describe('tokenizer on the kept tweets of the test archives', () => {
  it('matches js-tiktoken gpt2 and round-trips, under both rules', async () => {
    const tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
    const tiktoken = getEncoding('gpt2');
    const archives = [...buildTwoAccountArchives(), ...[...sampleArchives()].map(([name, bytes]) => ({ name, bytes }))];
    const contents = await Promise.all(archives.map((a) => readArchive(new Blob([a.bytes as Uint8Array<ArrayBuffer>]), a.name)));
    const texts = new Set<string>();
    for (const rule of ['multilingual', 'huggingtweets'] as const) {
      for (const t of keptTexts(buildDataset(contents, rule))) texts.add(t);
    }
    for (const c of contents) for (const t of c.tweets) texts.add(t.fullText);
    expect(texts.size).toBeGreaterThan(500);
    for (const text of texts) {
      const ids = tok.encode(text);
      expect(ids, JSON.stringify(text)).toEqual(tiktoken.encode(text, [], []));
      expect(tok.decode(ids)).toBe(text);
    }
  });
});
