// Export: model.safetensors as save_pretrained writes it, read back by our loader (same
// logits, exactly) and by the independent PyTorch GPT-2 (scripts/golden/export_check.py:
// layout + names + logits) when the golden is regenerated (UPDATE_GOLDEN=1); every run compares
// the golden values that script left. Then the bundle: every file, and a round trip.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { parseConfig, type GPT2Config } from '../../src/lib/model/gpt2/config.ts';
import { paramTable } from '../../src/lib/model/gpt2/params.ts';
import { readSafetensors, readSafetensorsMetadata } from '../../src/lib/model/safetensors.ts';
import { modelFilesFromBytes } from '../../src/lib/model/load.ts';
import { loadModelFromFileList } from '../../src/lib/model/local-files.ts';
import { exportBundle, exportConfig, exportSafetensors } from '../../src/lib/model/export.ts';
import { modelCard, type ModelCardInfo } from '../../src/lib/model/model-card.ts';
import { Rng } from '../../src/lib/rng.ts';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GOLDEN = path.join(import.meta.dirname, '../golden/export-check.json');
const OUT = path.join(ROOT, '.fixtures', 'export-check');
const PY = '/usr/bin/python3';
const IDS = [464, 3290, 318, 257, 1332, 286, 50256, 40]; // "The dog is a test of<|endoftext|>I"
/** Vocabulary columns the golden file keeps (the full [T, 50257] would be 8 MB of JSON). */
const COLS = [0, 1, 13, 40, 198, 257, 318, 464, 1332, 3290, 10000, 20000, 30000, 40000, 50000, 50256];

interface Golden {
  sha256: string;
  ids: number[];
  cols: number[];
  logits: number[][]; // [T, cols]
  logsumexp: number[]; // [T] over the whole vocabulary: pins the rest of each row
  argmax: number[];
  losses: number[];
}

/** A GPT-2 config of our own, 2 layers, 32 wide, and seeded normal weights (std 0.1, ln ~1). */
function ownModel(): GPT2 {
  const config = parseConfig({
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 50257, n_positions: 64, n_embd: 32,
    n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new',
    resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, n_inner: null, bos_token_id: 50256, eos_token_id: 50256,
  });
  const rng = new Rng(2024);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const spec of paramTable(config)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const isGain = /ln_(1|2|f)\.weight$/.test(spec.name);
    const data = Float32Array.from({ length: n }, () => (isGain ? 1 : 0) + 0.1 * normal());
    weights.set(spec.name, { shape: spec.shape, data });
  }
  return GPT2.fromWeights(config, weights);
}

/** Full logits [T, V] of `ids` (one sequence). */
function logitsOf(model: GPT2, ids: number[]): Float32Array {
  return tf.tidy(() => model.logits(model.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')))).dataSync() as Float32Array;
}

function summarise(logits: ArrayLike<number>, V: number, ids: number[]): Omit<Golden, 'sha256'> {
  const T = ids.length;
  const out: Omit<Golden, 'sha256'> = { ids, cols: COLS, logits: [], logsumexp: [], argmax: [], losses: [] };
  for (let t = 0; t < T; t++) {
    const row = Array.from({ length: V }, (_, v) => logits[t * V + v]);
    const m = row.reduce((a, b) => (b > a ? b : a), -Infinity);
    const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
    out.logits.push(COLS.map((c) => row[c]));
    out.logsumexp.push(lse);
    out.argmax.push(row.indexOf(m));
    if (t < T - 1) out.losses.push(lse - row[ids[t + 1]]);
  }
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let model: GPT2;
let exported: Uint8Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  model = ownModel();
  exported = await exportSafetensors(model);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'model.safetensors'), exported);
  fs.writeFileSync(path.join(OUT, 'config.json'), JSON.stringify(exportConfig(model.config), null, 2));
});

describe('exportSafetensors', () => {
  it('writes save_pretrained names: transformer. prefix, no lm_head, no buffers, {"format": "pt"}', () => {
    expect(readSafetensorsMetadata(exported)).toEqual({ format: 'pt' });
    const names = [...readSafetensors(exported).keys()];
    const want = paramTable(model.config).map((p) => 'transformer.' + p.name).sort();
    expect(names).toEqual(want); // sorted by name, as safetensors' serializer orders them
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    expect(names.some((n) => n.includes('lm_head') || /\.attn\.(masked_)?bias$/.test(n))).toBe(false);
  });

  it('loads back into a GPT2 with exactly the same logits', () => {
    const back = GPT2.fromWeights(parseConfig(exportConfig(model.config)), readSafetensors(exported));
    expect(Array.from(logitsOf(back, IDS))).toEqual(Array.from(logitsOf(model, IDS)));
    back.dispose();
  });

  it('renames a bare-named checkpoint and drops its buffers and lm_head', async () => {
    for (const name of ['tiny', 'tiny-bare'] as const) {
      const files = await loadModelDir(tinyModelDir(name));
      const m = GPT2.fromWeights(files.config, files.weights);
      const names = [...readSafetensors(await exportSafetensors(m)).keys()];
      expect(names).toEqual(paramTable(files.config).map((p) => 'transformer.' + p.name).sort());
      m.dispose();
    }
  });

  it('matches the independent PyTorch GPT-2 (committed golden values)', () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Golden;
    // The golden values belong to this exact file; a different hash means the export changed.
    expect(sha256(exported), 'exported bytes changed: rerun with UPDATE_GOLDEN=1 and torch').toBe(golden.sha256);
    const ours = summarise(logitsOf(model, golden.ids), model.config.vocab_size, golden.ids);
    expect(ours.argmax).toEqual(golden.argmax);
    for (let t = 0; t < golden.ids.length; t++) {
      for (let j = 0; j < COLS.length; j++) expect(Math.abs(ours.logits[t][j] - golden.logits[t][j])).toBeLessThan(1e-4);
      expect(Math.abs(ours.logsumexp[t] - golden.logsumexp[t])).toBeLessThan(1e-4);
    }
    ours.losses.forEach((l, t) => expect(Math.abs(l - golden.losses[t])).toBeLessThan(1e-4));
  });
});

// PyTorch reads the file itself only when the golden is regenerated (UPDATE_GOLDEN=1 with Debian's
// python3-torch, which CI does not install); every run compares the golden it left, tied to the bytes by sha256.
const describeRegen = process.env.UPDATE_GOLDEN === '1' ? describe : () => undefined;
describeRegen('export_check.py (UPDATE_GOLDEN=1: PyTorch reads the file)', () => {
  const check = (st: string) =>
    spawnSync(PY, ['scripts/golden/export_check.py', '--config', path.join(OUT, 'config.json'), '--safetensors', st, '--ids', IDS.join(',')], {
      cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30,
    });

  it('accepts the file and gets the same logits, position by position', () => {
    const r = check(path.join(OUT, 'model.safetensors'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const py = JSON.parse(r.stdout) as { names: string[]; metadata: unknown; logits: number[][]; argmax: number[]; losses: number[] };
    expect(py.metadata).toEqual({ format: 'pt' });
    const ours = logitsOf(model, IDS);
    const V = model.config.vocab_size;
    let maxDiff = 0;
    py.logits.forEach((row, t) => row.forEach((x, v) => (maxDiff = Math.max(maxDiff, Math.abs(x - ours[t * V + v])))));
    expect(maxDiff).toBeLessThan(1e-4);
    const golden = { sha256: sha256(exported), ...summarise(py.logits.flat(), V, IDS) };
    expect(golden.argmax).toEqual(py.argmax);
    golden.losses.forEach((l, t) => expect(Math.abs(l - py.losses[t])).toBeLessThan(1e-9));
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
  });

  it('refuses a file that is not what save_pretrained writes', () => {
    const bare = path.join(tinyModelDir('tiny-bare'), 'model.safetensors'); // no prefix, other config
    const r = check(bare);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^export_check: names differ from save_pretrained/);
  });
});

describe('exportBundle', () => {
  const card: ModelCardInfo = {
    accounts: [{ username: 'alice', displayName: 'Alice', downloaded: 10, retweets: 2, short: 3, kept: 5 }],
    rule: 'multilingual', baseModel: 'distilgpt2', hyperparameters: { 'Learning rate': 1e-4 }, steps: 7,
    trainLoss: 3.1, validationLoss: 3.3,
  };

  it('is a Hugging Face model folder that loads back with the same logits', async () => {
    const vocabJson = fs.readFileSync(path.join(tinyModelDir('tiny'), 'vocab.json'), 'utf8');
    const mergesTxt = fs.readFileSync(path.join(tinyModelDir('tiny'), 'merges.txt'), 'utf8');
    const zip = unzipSync(await exportBundle(model, { 'vocab.json': vocabJson, 'merges.txt': mergesTxt }, card));
    expect(Object.keys(zip).sort()).toEqual([
      'README.md', 'config.json', 'generation_config.json', 'merges.txt', 'model.safetensors',
      'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json',
    ]);
    const json = (f: string) => JSON.parse(strFromU8(zip[f]));
    const config = json('config.json') as GPT2Config;
    expect(config).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 2, n_embd: 32, vocab_size: 50257 });
    expect((config.task_specific_params as Record<string, unknown>)['text-generation']).toMatchObject({ prefix: '<|endoftext|>', top_p: 0.95 });
    expect(json('generation_config.json')).toMatchObject({ bos_token_id: 50256, eos_token_id: 50256, do_sample: true, top_k: 50 });
    expect(json('tokenizer_config.json')).toMatchObject({ tokenizer_class: 'GPT2Tokenizer', eos_token: '<|endoftext|>', model_max_length: 64 });
    expect(json('special_tokens_map.json')).toEqual({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' });
    expect(strFromU8(zip['vocab.json'])).toBe(vocabJson);
    expect(strFromU8(zip['merges.txt'])).toBe(mergesTxt);
    expect(strFromU8(zip['README.md'])).toContain('| Tweets kept | 5 |');
    expect(strFromU8(zip['README.md'])).toBe(modelCard(card)); // GPT-2's card as it always read: the family adds nothing to it
    expect(sha256(zip['model.safetensors'])).toBe(sha256(exported));

    const files = modelFilesFromBytes({
      configJson: strFromU8(zip['config.json']), safetensors: zip['model.safetensors'],
      vocabJson: strFromU8(zip['vocab.json']), mergesTxt: strFromU8(zip['merges.txt']),
    });
    const back = GPT2.fromWeights(files.config, files.weights);
    expect(Array.from(logitsOf(back, IDS))).toEqual(Array.from(logitsOf(model, IDS)));
    back.dispose();
  });

  it('loads back through the page\'s file picker path (the zip itself, or the weights alone)', async () => {
    const vocabJson = fs.readFileSync(path.join(tinyModelDir('tiny'), 'vocab.json'), 'utf8');
    const mergesTxt = fs.readFileSync(path.join(tinyModelDir('tiny'), 'merges.txt'), 'utf8');
    const zipBytes = await exportBundle(model, { 'vocab.json': vocabJson, 'merges.txt': mergesTxt }, card);
    const fromZip = await loadModelFromFileList(new Map([['tweetforge-alice.zip', new Blob([zipBytes as Uint8Array<ArrayBuffer>])]]));
    const weightsOnly = await loadModelFromFileList(new Map([['model.safetensors', new Blob([exported as Uint8Array<ArrayBuffer>])]]), {
      fallback: fromZip,
    });
    const want = Array.from(logitsOf(model, IDS));
    for (const files of [fromZip, weightsOnly]) {
      const back = GPT2.fromWeights(files.config as GPT2Config, files.weights);
      expect(Array.from(logitsOf(back, IDS))).toEqual(want);
      back.dispose();
    }
  });
});
