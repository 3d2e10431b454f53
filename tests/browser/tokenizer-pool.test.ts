// The page's tokenizer pool in headless Chromium: Vite builds the app's tokenizer worker
// (src/workers/tokenizer.worker.ts) with a small harness page; the pool's ids must equal one
// thread's in the page, and Node's.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { launchBrowser, appUrl, recordPage } from '../helpers/browser.ts';
import { writeGpt2TokenizerFiles, GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { tortureStrings, tweetLikeTexts } from '../helpers/torture-strings.ts';
import type { PoolRun } from './tokenizer-pool-page.ts';
import { TokenizerJsonBPE } from '../../src/lib/tokenizer/tokenizer-json.ts';
import { MULTILINGUAL, qwenFiles, writeQwenTokenizerFiles } from '../helpers/tokenizer-json-files.ts';

const PAGE_DIR = path.resolve('.fixtures/tokenizer-pool-page');

beforeAll(async () => {
  writeGpt2TokenizerFiles(path.resolve('.fixtures/tokenizer-gpt2'));
  writeQwenTokenizerFiles(path.resolve('.fixtures/tokenizer-qwen2'));
  // Rebuilt every run (a few seconds), so the page always holds the current worker.
  await build({
    configFile: false,
    logLevel: 'error',
    base: './',
    worker: { format: 'es' },
    build: {
      outDir: PAGE_DIR,
      emptyOutDir: true,
      target: 'es2022',
      rolldownOptions: { input: path.resolve('tests/browser/tokenizer-pool-page.ts'), output: { entryFileNames: 'page.js' } },
    },
  });
  fs.writeFileSync(path.join(PAGE_DIR, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>\n');
});

describe('tokenizer pool in Chromium (web workers)', () => {
  it('gives the ids of one thread and of Node, in order, with progress, and cancels', async () => {
    const texts = [...tweetLikeTexts(1e6, 21), ...tortureStrings()];
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await page.goto(new URL('fixtures/tokenizer-pool-page/index.html', appUrl()).href);
      await page.waitForFunction(() => 'tokenizerPool' in window);
      const result = await page.evaluate(
        ([base, texts]) => (window as unknown as { tokenizerPool: { run(b: string, t: string[]): Promise<PoolRun> } }).tokenizerPool.run(base, texts),
        [new URL('fixtures/tokenizer-gpt2/', appUrl()).href, texts] as const,
      );
      const { flat, ...summary } = result;
      console.log('browser pool:', JSON.stringify({ ...summary, lastProgress: undefined }));
      expect(result.hardwareConcurrency, rec.logs.join('\n')).toBeGreaterThanOrEqual(1);
      expect(result.poolSize).toBe(Math.min(8, result.hardwareConcurrency));
      expect(result.firstMismatch).toBe(-1);
      expect(result.allInt32).toBe(true);
      expect(result.lastProgress?.texts).toBe(texts.length);
      expect(result.progressCalls).toBeGreaterThan(1);
      expect(result.abortOutcome).toBe('AbortError');

      // Chromium's regex engine and Node's agree: the same ids as the tokenizer run here.
      const tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
      const nodeFlat = texts.flatMap((t) => tok.encode(t));
      expect(flat.length).toBe(nodeFlat.length);
      expect(flat.findIndex((id, i) => id !== nodeFlat[i])).toBe(-1);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("carries Qwen2.5's tokenizer.json tables to its workers: the ids of one thread and of Node, in order", async () => {
    const texts = [...tweetLikeTexts(3e5, 22), ...tortureStrings(), ...MULTILINGUAL];
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await page.goto(new URL('fixtures/tokenizer-pool-page/index.html', appUrl()).href);
      await page.waitForFunction(() => 'tokenizerPool' in window);
      const result = await page.evaluate(
        ([base, texts]) => (window as unknown as { tokenizerPool: { run(b: string, t: string[], j: boolean): Promise<PoolRun> } }).tokenizerPool.run(base, texts, true),
        [new URL('fixtures/tokenizer-qwen2/', appUrl()).href, texts] as const,
      );
      expect(result.firstMismatch, rec.logs.join('\n')).toBe(-1);
      expect(result.poolSize).toBe(Math.min(8, result.hardwareConcurrency));
      expect(result.lastProgress?.texts).toBe(texts.length);
      const { json, config } = qwenFiles();
      const tok = TokenizerJsonBPE.fromFiles(json, config);
      const nodeFlat = texts.flatMap((t) => tok.encode(t));
      expect(result.flat.length).toBe(nodeFlat.length);
      expect(result.flat.findIndex((id, i) => id !== nodeFlat[i])).toBe(-1);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
