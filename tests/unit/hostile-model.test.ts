// Hostile model folders through the CLI (which runs the page's loading modules): each must end
// in one readable stderr line, quickly, with the child's peak memory (maxRSS, measured by the
// child itself at exit) under a bound. The folders are crafted here; GPT-2's real tokenizer
// files come from the tiny fixture.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyConfig, tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TINY = tinyModelDir('tiny');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-model-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The goal for a model file of a few MB, whatever it claims (issue 19): well under a tab's memory. */
const PEAK_BOUND = 1.5e9;
const TIME_BOUND_MS = 10_000;

/** Loaded into the child before the CLI: writes its peak RSS (bytes) to $MAXRSS_FILE on exit. */
const PRELOAD = path.join(work, 'maxrss.mjs');
fs.writeFileSync(
  PRELOAD,
  "import fs from 'node:fs';\nprocess.on('exit', () => fs.writeFileSync(process.env.MAXRSS_FILE, String(process.resourceUsage().maxRSS * 1024)));\n",
);

/** A safetensors file from a raw header object and a data section of `dataBytes` zero bytes. */
function rawSafetensors(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

/** A model folder: the tiny fixture's tokenizer, with this config and this weights file. */
function folder(name: string, config: Record<string, unknown>, safetensors: Buffer): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), safetensors);
  for (const f of ['vocab.json', 'merges.txt']) fs.copyFileSync(path.join(TINY, f), path.join(dir, f));
  return dir;
}

function score(dir: string): { status: number | null; stderr: string; ms: number; peak: number } {
  const rssFile = path.join(work, `${path.basename(dir)}.rss`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', PRELOAD, 'scripts/cli.ts', 'score', '--model', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    input: 'hello world, hello again',
    env: { ...process.env, MAXRSS_FILE: rssFile },
    timeout: 60_000,
  });
  const ms = performance.now() - t0;
  const peak = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : Infinity; // none: killed at the timeout
  console.log(`${path.basename(dir)}: ${(ms / 1000).toFixed(2)} s, peak RSS ${(peak / 1e6).toFixed(0)} MB: ${r.stderr.trim()}`);
  return { status: r.status, stderr: r.stderr, ms, peak };
}

function expectOneLine(r: ReturnType<typeof score>, message: RegExp): void {
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.ms).toBeLessThan(TIME_BOUND_MS);
  expect(r.peak).toBeLessThan(PEAK_BOUND);
}

describe('hostile model folders through the CLI', () => {
  it('200 U8 tensors over the same 4 MiB: refused from the header, nothing decoded', () => {
    const N = 4 * 2 ** 20;
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) header[`t${i}`] = { dtype: 'U8', shape: [N], data_offsets: [0, N] };
    const r = score(folder('overlap', tinyConfig(), rawSafetensors(header, N)));
    expectOneLine(r, /model\.safetensors: tensors? "t\d+".*overlap/);
  }, 60_000);

  it('n_layer 1,000,000 with a one-tensor file: refused from config.json', () => {
    const header = { 'wte.weight': { dtype: 'F32', shape: [1, 4], data_offsets: [0, 16] } };
    const r = score(folder('layers', { ...tinyConfig(), n_layer: 1_000_000 }, rawSafetensors(header, 16)));
    expectOneLine(r, /config\.json: "n_layer" is 1000000/);
  }, 60_000);

  it('a vocab.json id of 2^31 - 2 (the tokenizer would size its tables by it): refused before the tokenizer is built', () => {
    const dir = folder('vocab-id', tinyConfig(), fs.readFileSync(path.join(TINY, 'model.safetensors')));
    const vocab = JSON.parse(fs.readFileSync(path.join(TINY, 'vocab.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify({ ...vocab, '!': 2 ** 31 - 2 }));
    const r = score(dir);
    expectOneLine(r, /vocab\.json: the id of "!" is 2147483646, outside config\.json's vocab_size/);
  }, 60_000);

  it('a real folder still scores (the bound is not met by refusing everything)', () => {
    const r = score(TINY);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.peak).toBeLessThan(PEAK_BOUND);
  }, 60_000);
});
