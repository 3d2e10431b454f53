// A LoRA run through the model worker's logic (TrainingSession) on the tiny-qwen2 fixture served
// over HTTP: `lora` on, the adapters (PEFT's default q_proj/v_proj, r 16, alpha 32) train beside
// the frozen base; a pause samples greedy text the same with and without the KV cache; the
// checkpoint holds the adapters alone, with their record; a fresh session (a reload) resumes the
// run from IndexedDB and its steps' losses are the uninterrupted run's; the bundle's
// model.safetensors is base + (alpha / r)·BA, computed here from the exported PEFT tensors and
// the fixture's own file, and adapter/ holds PEFT's two files under PEFT's key names; the
// bundle loaded back gives the paused run's greedy text from its merged weights alone.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tinyLlamaConfig, tinyLlamaDir, TINY_LLAMAS } from '../../scripts/fixtures/tiny-llama.ts';
import { readSafetensors } from '../../src/lib/model/safetensors.ts';
import { loadLatestCheckpoint } from '../../src/lib/storage/checkpoints.ts';
import type { ModelCardInfo } from '../../src/lib/model/model-card.ts';
import { sessionHarness } from '../helpers/session-harness';
import { MIXED_ACCOUNTS, serveModelFolders } from '../helpers/model-server.ts';

const DIR = tinyLlamaDir('tiny-qwen2');
const HF = tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']);
let server: http.Server;
let url: string;
const terminate: (() => void)[] = [];

beforeAll(async () => {
  ({ server, base: url } = await serveModelFolders({ 'tiny-qwen2': DIR }));
  url += 'tiny-qwen2/';
});
afterAll(() => new Promise((r) => server.close(r)));
afterEach(() => {
  for (const t of terminate.splice(0)) t();
});

const accounts = MIXED_ACCOUNTS;
// A learning rate large enough that the adapters move visibly in a few steps; dropout on (the
// resumed run must draw the uninterrupted run's masks).
const settings = { blockSize: 16, batchSize: 2, epochs: 2, checkpointEvery: 1, lossReadEvery: 1, seed: 9, valFraction: 0, lr: 1e-2, lora: true, loraRank: 16, loraAlpha: 32 };
const greedy = (kvCache: boolean) => ({ greedy: true, numSamples: 1, maxNewTokens: 10, minNewTokens: 10, kvCache });
const TARGETS = ['q_proj', 'v_proj']; // PEFT's default for qwen2, written here
const LAYERS = HF.num_hidden_layers;
const C = HF.hidden_size;
const HEAD = C / HF.num_attention_heads;
/** Each target's [out, in]. */
const SHAPE: Record<string, [number, number]> = { q_proj: [HF.num_attention_heads * HEAD, C], v_proj: [HF.num_key_value_heads * HEAD, C] };
const R = 16;
const ADAPTER_PARAMS = LAYERS * TARGETS.reduce((n, t) => n + R * (SHAPE[t][0] + SHAPE[t][1]), 0);

function harness() {
  const s = sessionHarness();
  terminate.push(() => s.session.dispose());
  return s;
}

async function sampleText(s: ReturnType<typeof harness>, id: number, kvCache: boolean): Promise<string> {
  await s.send({ type: 'sample', id, prompt: '今日は', options: greedy(kvCache) });
  await s.next('sample-end', (e) => e.id === id);
  return s.of('sample').filter((e) => e.id === id).map((e) => e.text).join('');
}

const card: ModelCardInfo = {
  accounts: [{ username: 'hiro', displayName: 'Hiro', downloaded: 5, retweets: 0, short: 0, kept: 5 }],
  rule: 'huggingtweets',
  baseModel: 'Qwen/Qwen2.5-0.5B',
  modelName: 'tweetforge-hiro',
  hyperparameters: {},
  steps: 1,
};

describe('TrainingSession with LoRA on a qwen2 model', () => {
  it('trains adapters only, samples through them while paused, resumes exactly after a reload, and exports merged weights with PEFT\'s files', async () => {
    // The uninterrupted run: every step's loss.
    const straight = harness();
    await straight.send({ type: 'init' });
    await straight.send({ type: 'load', source: { kind: 'url', url } });
    const info = await straight.call<{ sizes: { totalSteps: number }; checkpointBytes: number }>({ type: 'prepare', accounts, settings });
    const total = info.sizes.totalSteps;
    expect(total).toBeGreaterThanOrEqual(4);
    expect(info.checkpointBytes).toBe(ADAPTER_PARAMS * 4 * 3); // adapters and their two moments
    const baseText = await sampleText(straight, 1, true);
    await straight.call({ type: 'start', name: 'straight', card: null });
    await straight.session.idle();
    expect(straight.failures()).toEqual([]);
    expect(straight.of('status').at(-1)!.status).toBe('done');
    const losses = new Map(straight.of('step').map((e) => [e.step, e.loss]));
    expect([...losses.keys()]).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    // The same run, paused.
    const a = harness();
    await a.send({ type: 'init' });
    await a.send({ type: 'load', source: { kind: 'url', url } });
    await a.call({ type: 'prepare', accounts, settings });
    await a.call({ type: 'start', name: 'paused', card: null });
    await a.next('step', (e) => e.step >= 1);
    await a.send({ type: 'pause' });
    await a.session.idle();
    expect(a.failures()).toEqual([]);
    const pausedAt = a.of('step').at(-1)!.step;
    expect(pausedAt).toBeLessThan(total);
    for (const e of a.of('step')) expect(e.loss).toBe(losses.get(e.step)); // same seed, same run

    // Generation reads base + unmerged adapters, the same with and without the cache, and they moved it.
    const cached = await sampleText(a, 2, true);
    expect(await sampleText(a, 3, false)).toBe(cached);
    expect(cached).not.toBe(baseText);

    // The checkpoint: the adapters alone (PEFT's A and B of each target), with their record.
    const runId = a.of('status').at(-1)!.runId!;
    const ck = (await loadLatestCheckpoint(runId))!;
    expect(ck.state.step).toBe(pausedAt);
    expect(ck.state.adapters).toEqual({ peft_type: 'LORA', r: 16, lora_alpha: 32, lora_dropout: 0, target_modules: TARGETS });
    const want = [];
    for (let l = 0; l < LAYERS; l++) for (const t of TARGETS) want.push(`layers.${l}.self_attn.${t}.lora_A.weight`, `layers.${l}.self_attn.${t}.lora_B.weight`);
    expect(ck.state.params.map((p) => p.key.replace(/^.*\//, '')).sort()).toEqual(want.sort());
    expect(ck.record.bytes).toBe(ADAPTER_PARAMS * 4 * 3);
    expect(a.of('checkpoint').at(-1)!.bytes).toBe(ADAPTER_PARAMS * 4 * 3);

    // Export: the bundle's model.safetensors is base + (alpha / r)·BA, from the exported adapter itself.
    const bundle = await a.call<{ bytes: Uint8Array }>({ type: 'export', kind: 'bundle', card });
    const files = unzipSync(bundle.bytes);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'README.md', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors']));
    expect(Object.keys(files)).not.toContain('adapter_config.json'); // at the root, transformers would load the base from the Hub instead
    const peftConfig = JSON.parse(strFromU8(files['adapter/adapter_config.json']));
    expect(peftConfig).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'Qwen/Qwen2.5-0.5B', r: 16, lora_alpha: 32, lora_dropout: 0,
      target_modules: TARGETS, fan_in_fan_out: false, bias: 'none', inference_mode: true,
    });
    const adapter = readSafetensors(files['adapter/adapter_model.safetensors']);
    const keys = [];
    for (let l = 0; l < LAYERS; l++) for (const t of TARGETS) for (const w of ['A', 'B']) keys.push(`base_model.model.model.layers.${l}.self_attn.${t}.lora_${w}.weight`);
    expect([...adapter.keys()].sort()).toEqual(keys.sort());
    const merged = readSafetensors(files['model.safetensors']);
    const base = readSafetensors(new Uint8Array(fs.readFileSync(path.join(DIR, 'model.safetensors'))));
    expect([...merged.keys()].sort()).toEqual([...base.keys()].sort());
    let changed = 0;
    for (const [name, w] of merged) {
      const m = /^model\.layers\.(\d+)\.self_attn\.(q_proj|v_proj)\.weight$/.exec(name);
      const b = base.get(name)!;
      if (!m) {
        expect(Buffer.compare(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength), Buffer.from(new Float32Array(b.data).buffer))).toBe(0);
        continue;
      }
      const A = adapter.get(`base_model.model.model.layers.${m[1]}.self_attn.${m[2]}.lora_A.weight`)!;
      const B = adapter.get(`base_model.model.model.layers.${m[1]}.self_attn.${m[2]}.lora_B.weight`)!;
      const [out, inn] = SHAPE[m[2]];
      expect([A.shape, B.shape, w.shape]).toEqual([[R, inn], [out, R], [out, inn]]);
      let worst = 0;
      for (let o = 0; o < out; o++) {
        for (let i = 0; i < inn; i++) {
          let d = 0;
          for (let k = 0; k < R; k++) d += B.data[o * R + k] * A.data[k * inn + i];
          const expected = b.data[o * inn + i] + (32 / 16) * d;
          worst = Math.max(worst, Math.abs(w.data[o * inn + i] - expected));
          if (w.data[o * inn + i] !== b.data[o * inn + i]) changed++;
        }
      }
      expect(worst).toBeLessThan(1e-6);
    }
    expect(changed).toBeGreaterThan(0); // B moved off zero: the merge is not the base
    const readme = strFromU8(files['README.md']);
    expect(readme).toContain('Fine-tuned with LoRA');
    expect(readme).toContain('rank r = 16, alpha = 32');
    expect(readme).toContain('`q_proj`, `v_proj`');
    expect(readme).toContain("PeftModel.from_pretrained(base, 'tweetforge-hiro/adapter')");

    // The bundle loads back through the page's file picker (the zip itself): its merged weights
    // give the greedy text the paused run gave through its unmerged adapters.
    const back = harness();
    await back.send({ type: 'init' });
    await back.send({ type: 'load', source: { kind: 'files', files: [new File([bundle.bytes as Uint8Array<ArrayBuffer>], 'tweetforge-hiro.zip')] } });
    expect(back.failures()).toEqual([]);
    expect(await sampleText(back, 6, true)).toBe(cached);

    // A fresh session (the page reloaded): the run resumes from IndexedDB, adapters re-attached to its base.
    const b = harness();
    await b.send({ type: 'init' });
    expect(b.of('resumable')[0].run).toMatchObject({ id: runId, step: pausedAt, totalSteps: total });
    await b.send({ type: 'resume-run', runId });
    await b.session.idle();
    expect(b.failures()).toEqual([]);
    expect(b.of('status').at(-1)!.status).toBe('done');
    const resumed = b.of('step');
    expect(resumed.map((e) => e.step)).toEqual(Array.from({ length: total - pausedAt }, (_, i) => pausedAt + 1 + i));
    for (const e of resumed) expect(Math.abs(e.loss - losses.get(e.step)!)).toBeLessThan(1e-5);
    // Its weights after the last step are the uninterrupted run's: the same greedy text.
    expect(await sampleText(b, 4, true)).toBe(await sampleText(straight, 5, true));
  }, 400_000);
});
