// Loading model folders: from disk, over HTTP (a local server; streamed progress; Cache
// Storage through a small in-memory stand-in, since Node has no `caches`), and from
// picked/dropped files or a zip. Checks the loaded weights equal the fixture's, and that
// broken inputs fail with messages that name the problem.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { zipSync } from 'fflate';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { tinyLlamaDir } from '../../scripts/fixtures/tiny-llama.ts';
import { INDEX_FILE } from '../../src/lib/model/hf-folder.ts';
import { tinyModelDir, tinyConfig, tinyWeights, TINY_MODELS } from '../../scripts/fixtures/tiny-model.ts';
import {
  clearModelCache,
  listCachedModels,
  loadModelFromUrl,
  MODEL_CACHE_NAME,
  MODEL_FILE_NAMES,
  type LoadProgress,
  type ModelFiles,
} from '../../src/lib/model/load.ts';
import { loadModelFromFileList } from '../../src/lib/model/local-files.ts';

const TINY = tinyModelDir('tiny');
const BARE = tinyModelDir('tiny-bare');
const QWEN_SHARDED = tinyLlamaDir('tiny-qwen2-sharded');

/** A safetensors file from a raw header object and `dataBytes` zero bytes of data. */
function rawSafetensors(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

const file = (dir: string, name: string, as = name) => new File([fs.readFileSync(path.join(dir, name))], as);

function expectTinyWeights(files: Pick<ModelFiles, 'weights'>, name: 'tiny' | 'tiny-bare'): void {
  const opts = TINY_MODELS[name];
  const want = tinyWeights(tinyConfig(opts), opts.seed);
  expect([...files.weights.keys()]).toEqual([...want.keys()]);
  for (const [k, t] of want) {
    const got = files.weights.get(k)!;
    expect(got.shape, k).toEqual(t.shape);
    // Byte-wise: vitest's deep equality is slow on millions of floats.
    expect(Buffer.compare(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength), Buffer.from(t.data.buffer)), k).toBe(0);
  }
}

describe('loadModelDir', () => {
  it('loads both name styles to the same bare names and exact weights', async () => {
    expectTinyWeights(await loadModelDir(TINY), 'tiny');
    expectTinyWeights(await loadModelDir(BARE), 'tiny-bare');
  });

  it('converts F16 storage to float32 within half precision', async () => {
    const files = await loadModelDir(tinyModelDir('tiny-f16'));
    const opts = TINY_MODELS['tiny-f16'];
    const want = tinyWeights(tinyConfig(opts), opts.seed).get('h.0.attn.c_attn.weight')!.data;
    const got = files.weights.get('h.0.attn.c_attn.weight')!.data;
    for (let i = 0; i < want.length; i += 97) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -11 + 1e-7);
  });

  it('names the missing file, and shape mismatches against config.json', async () => {
    await expect(loadModelDir('/nonexistent-model-dir')).rejects.toThrow(/has no config\.json/);
    const dir = fs.mkdtempSync(path.join(path.dirname(TINY), 'bad-'));
    try {
      for (const f of MODEL_FILE_NAMES) fs.copyFileSync(path.join(TINY, f), path.join(dir, f));
      const config = JSON.parse(fs.readFileSync(path.join(TINY, 'config.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, n_embd: 32 }));
      await expect(loadModelDir(dir)).rejects.toThrow(/"wte.weight" has shape \[50257, 64\] but config.json implies \[50257, 32\]/);
      const st = fs.readFileSync(path.join(TINY, 'model.safetensors'));
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      fs.writeFileSync(path.join(dir, 'model.safetensors'), st.subarray(0, st.length - 1000));
      await expect(loadModelDir(dir)).rejects.toThrow(/run past the end of the data .*truncated/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A minimal in-memory Cache Storage (what the page gets from the browser). */
class MemoryCache {
  store = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  async match(req: string | Request) {
    const e = this.store.get(typeof req === 'string' ? req : req.url);
    return e ? new Response(e.body as Uint8Array<ArrayBuffer>, { headers: e.headers }) : undefined;
  }
  async put(req: string | Request, res: Response) {
    this.store.set(typeof req === 'string' ? req : req.url, { body: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers] });
  }
  async keys() {
    return [...this.store.keys()].map((url) => new Request(url));
  }
  async delete(req: string | Request) {
    return this.store.delete(typeof req === 'string' ? req : req.url);
  }
}
class MemoryCacheStorage {
  caches = new Map<string, MemoryCache>();
  async open(name: string) {
    if (!this.caches.has(name)) this.caches.set(name, new MemoryCache());
    return this.caches.get(name)!;
  }
  async has(name: string) {
    return this.caches.has(name);
  }
  async delete(name: string) {
    return this.caches.delete(name);
  }
}

describe('loadModelFromUrl', () => {
  let server: http.Server;
  let base: string;
  const requests: string[] = [];
  const llamaDir = fs.mkdtempSync(path.join(path.dirname(TINY), 'llama-'));
  fs.writeFileSync(path.join(llamaDir, 'config.json'), JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url!);
      const [, folder, file] = req.url!.split('/');
      const dir = folder === 'tiny' ? TINY : folder === 'llama' ? llamaDir : folder === 'qwen' ? QWEN_SHARDED : '';
      const p = dir && !file.startsWith('.') && path.join(dir, file);
      if (!p || !fs.existsSync(p)) {
        res.writeHead(404, { connection: 'close' }).end('not found');
        return;
      }
      const body = fs.readFileSync(p);
      // connection: close, so no keep-alive socket goes stale between slow tests.
      res.writeHead(200, { 'content-length': body.length, connection: 'close' });
      // Several writes so the client sees the body arrive in pieces.
      const step = Math.ceil(body.length / 4);
      for (let i = 0; i < body.length; i += step) res.write(body.subarray(i, i + step));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(llamaDir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    requests.length = 0;
  });

  it('downloads the four files with byte progress and yields the fixture weights', async () => {
    const events: LoadProgress[] = [];
    const files = await loadModelFromUrl(base + 'tiny', { onProgress: (p) => events.push({ ...p }) });
    expectTinyWeights(files, 'tiny');
    const size = fs.statSync(path.join(TINY, 'model.safetensors')).size;
    const st = events.filter((e) => e.file === 'model.safetensors');
    expect(st.length).toBeGreaterThan(2);
    expect(st.every((e) => e.total === size && !e.cached)).toBe(true);
    expect(st.map((e) => e.loaded)).toEqual([...st.map((e) => e.loaded)].sort((a, b) => a - b));
    expect(st.at(-1)!.loaded).toBe(size);
    expect(new Set(events.map((e) => e.file))).toEqual(new Set(MODEL_FILE_NAMES));
    expect(requests[0]).toBe('/tiny/config.json'); // config first, checked before the big file
  });

  it('refuses a config its family cannot run before downloading the weights', async () => {
    await expect(loadModelFromUrl(base + 'llama/')).rejects.toThrow(/hidden_size.*\(http:.*\/llama\/config\.json\)$/);
    expect(requests).toEqual(['/llama/config.json']);
  });

  it('says which URL failed and how', async () => {
    await expect(loadModelFromUrl(base + 'missing/')).rejects.toThrow(`cannot download ${base}missing/config.json: HTTP 404`);
    // A port nothing listens on: no answer at all.
    await expect(loadModelFromUrl('http://127.0.0.1:9/x/')).rejects.toThrow(/^cannot download http:\/\/127\.0\.0\.1:9\/x\/config\.json: no answer \(.+\); is this computer offline\?$/);
  });

  it('stops when aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(loadModelFromUrl(base + 'tiny/', { signal: ctl.signal })).rejects.toThrow(/abort/i);
  });

  it('caches in Cache Storage: the second load uses no network; list and clear', async () => {
    vi.stubGlobal('caches', new MemoryCacheStorage());
    await loadModelFromUrl(base + 'tiny/');
    // The four files, and the four a folder may have besides (the shard index, generation_config.json, ...): 404 here.
    expect(requests).toHaveLength(8);
    const listed = await listCachedModels();
    const total = MODEL_FILE_NAMES.reduce((n, f) => n + fs.statSync(path.join(TINY, f)).size, 0);
    expect(listed).toEqual([{ baseUrl: base + 'tiny/', files: expect.arrayContaining([...MODEL_FILE_NAMES]), bytes: total, complete: true }]);
    const events: LoadProgress[] = [];
    const again = await loadModelFromUrl(base + 'tiny', { onProgress: (p) => events.push(p) });
    expect(requests).toHaveLength(8); // a folder kept whole: what the cache lacks, the folder lacked
    expect(events.every((e) => e.cached)).toBe(true);
    expectTinyWeights(again, 'tiny');
    await loadModelFromUrl(base + 'tiny/', { cache: false });
    expect(requests).toHaveLength(16);
    await clearModelCache(base + 'tiny');
    expect(await listCachedModels()).toEqual([]);
    await loadModelFromUrl(base + 'tiny/');
    expect(requests).toHaveLength(24);
    await clearModelCache();
    expect(await listCachedModels()).toEqual([]);
  });

  it('loads a sharded qwen2 folder, caches it whole, and reads it back with no network', async () => {
    vi.stubGlobal('caches', new MemoryCacheStorage());
    const events: LoadProgress[] = [];
    const folder = await loadModelFromUrl(base + 'qwen', { onProgress: (p) => events.push(p) });
    const disk = await loadHFDir(QWEN_SHARDED);
    expect(folder.family.modelType).toBe('qwen2');
    expect([...folder.weights.keys()]).toEqual([...disk.weights.keys()]);
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const [n, t] of disk.weights) expect(Buffer.compare(bytes(folder.weights.get(n)!.data), bytes(t.data)), n).toBe(0);
    expect(folder.tokenizerFiles).toEqual(disk.tokenizerFiles);
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    expect(requests[0]).toBe('/qwen/config.json');
    expect(requests.slice(1, 2)).toEqual(['/qwen/' + INDEX_FILE]); // the index before the shards it names
    expect(new Set(events.map((e) => e.file))).toEqual(new Set(['config.json', INDEX_FILE, ...shards, 'tokenizer.json', 'tokenizer_config.json']));
    const listed = await listCachedModels();
    expect(listed).toEqual([expect.objectContaining({ baseUrl: base + 'qwen/', complete: true })]);
    expect(listed[0].files.sort()).toEqual(['config.json', INDEX_FILE, ...shards, 'tokenizer.json', 'tokenizer_config.json'].sort());
    const n = requests.length;
    const again = await loadModelFromUrl(base + 'qwen/');
    expect(requests).toHaveLength(n); // offline-ready: nothing asked of the network, absent files included
    expect([...again.weights.keys()]).toEqual([...disk.weights.keys()]);
    await clearModelCache(base + 'qwen');
    expect(await listCachedModels()).toEqual([]);
  });
});

describe('loadModelFromUrl: what is checked before downloading and before caching', () => {
  let server: http.Server;
  let base: string;
  const requests: string[] = [];
  const badDir = fs.mkdtempSync(path.join(path.dirname(TINY), 'bad-cache-'));
  for (const f of MODEL_FILE_NAMES) fs.copyFileSync(path.join(TINY, f), path.join(badDir, f));
  fs.writeFileSync(path.join(badDir, 'model.safetensors'), rawSafetensors({
    'wte.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    'wpe.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  }, 8));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url!);
      const [, folder, file] = req.url!.split('/');
      const dir = folder === 'tiny' ? TINY : folder === 'bad' ? badDir : '';
      const body = dir && fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file)) : undefined;
      if (!body) res.writeHead(404, { connection: 'close' }).end('not found');
      else res.writeHead(200, { 'content-length': body.length, connection: 'close' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(badDir, { recursive: true, force: true });
  });
  afterEach(() => {
    delete (globalThis as { caches?: unknown }).caches;
    requests.length = 0;
  });

  it('asks checkConfig before the weights move: its refusal is the error, its line a progress note', async () => {
    const refuse = () => {
      throw new Error('this model cannot run on this GPU: too big');
    };
    await expect(loadModelFromUrl(base + 'tiny/', { checkConfig: refuse })).rejects.toThrow(/^this model cannot run on this GPU: too big$/);
    expect(requests).toEqual(['/tiny/config.json']);
    const events: LoadProgress[] = [];
    await loadModelFromUrl(base + 'tiny/', { checkConfig: (_family, c) => `needs ${(c as ModelFiles['config']).n_layer} layers`, onProgress: (p) => events.push(p) });
    const noted = events.findIndex((e) => e.note);
    expect(events[noted]).toMatchObject({ file: 'config.json', note: 'needs 2 layers' });
    expect(events.slice(0, noted).every((e) => e.file === 'config.json')).toBe(true); // before any other file
  });

  it('caches nothing of a folder that fails its checks, and drops a cached file that fails them', async () => {
    const storage = new MemoryCacheStorage();
    (globalThis as { caches?: unknown }).caches = storage;
    await expect(loadModelFromUrl(base + 'bad/')).rejects.toThrow(/^model\.safetensors: tensors "wte\.weight" and "wpe\.weight" overlap/);
    expect(await listCachedModels()).toEqual([]);
    // A bad weights file already in the cache (a copy from before these checks) goes once refused.
    const cache = await storage.open(MODEL_CACHE_NAME);
    for (const f of MODEL_FILE_NAMES) {
      const dir = f === 'model.safetensors' ? badDir : TINY;
      await cache.put(base + 'tiny/' + f, new Response(fs.readFileSync(path.join(dir, f))));
    }
    expect((await listCachedModels())[0].complete).toBe(true);
    await expect(loadModelFromUrl(base + 'tiny/')).rejects.toThrow(/overlap/);
    expect(await listCachedModels()).toEqual([]);
    expect(requests.filter((r) => r.startsWith('/tiny/'))).toEqual([]);
    // And a good folder is cached whole, once it checks out.
    await loadModelFromUrl(base + 'tiny/');
    expect(await listCachedModels()).toEqual([expect.objectContaining({ baseUrl: base + 'tiny/', complete: true })]);
  });

  it('a put that fails (quota) leaves the model loaded and no partial folder cached', async () => {
    const storage = new MemoryCacheStorage();
    (globalThis as { caches?: unknown }).caches = storage;
    const cache = await storage.open(MODEL_CACHE_NAME);
    let puts = 0;
    const put = cache.put.bind(cache);
    cache.put = async (req, res) => {
      if (++puts === 3) throw new DOMException('quota exceeded', 'QuotaExceededError');
      return put(req, res);
    };
    expectTinyWeights(await loadModelFromUrl(base + 'tiny/'), 'tiny');
    expect(await listCachedModels()).toEqual([]);
  });

  it('refuses vocab.json ids the model has no row for, before decoding the weights', async () => {
    const vocab = JSON.parse(fs.readFileSync(path.join(TINY, 'vocab.json'), 'utf8'));
    const files = (v: unknown) => [file(TINY, 'config.json'), file(TINY, 'model.safetensors'), file(TINY, 'merges.txt'), new File([JSON.stringify(v)], 'vocab.json')];
    await expect(loadModelFromFileList(files({ ...vocab, '<|not-a-token|>': 50257 }))).rejects.toThrow(/^vocab\.json has 50258 tokens but config\.json's vocab_size is 50257$/);
    const { '!': _bang, ...rest } = vocab;
    await expect(loadModelFromFileList(files({ ...rest, '!': 1e9 }))).rejects.toThrow(/^vocab\.json: the id of "!" is 1000000000, outside config\.json's vocab_size \(0\.\.50256\)$/);
    await expect(loadModelFromFileList(files({ ...rest, '!': 'one' }))).rejects.toThrow(/the id of "!" is "one"/);
  });
});

describe('loadModelFromFileList', () => {

  it('takes picked files, in any order, and ignores others', async () => {
    const files = [file(BARE, 'vocab.json'), file(BARE, 'model.safetensors'), new File(['x'], 'README.md'), file(BARE, 'merges.txt'), file(BARE, 'config.json')];
    expectTinyWeights(await loadModelFromFileList(files), 'tiny-bare');
  });

  it('takes a zip bundle with the files inside a folder', async () => {
    const zip = zipSync(Object.fromEntries(MODEL_FILE_NAMES.map((f) => [`my-model/${f}`, new Uint8Array(fs.readFileSync(path.join(TINY, f)))])));
    expectTinyWeights(await loadModelFromFileList([new File([zip], 'bundle.zip')]), 'tiny');
  });

  it('inflates only the model files of a zip', async () => {
    // A member whose deflate data is broken (block type 3 does not exist): reading it would
    // fail, as reading the media of a Twitter archive would exhaust memory.
    const model = Object.fromEntries(MODEL_FILE_NAMES.map((f) => [`m/${f}`, new Uint8Array(fs.readFileSync(path.join(TINY, f)))]));
    const zip = zipSync({ 'data/tweets_media/clip.mp4': [new Uint8Array(4096).fill(7), { level: 6 }], ...model });
    const dataAt = 30 + 'data/tweets_media/clip.mp4'.length + new DataView(zip.buffer, zip.byteOffset).getUint16(28, true);
    zip[dataAt] = 0xff;
    expectTinyWeights(await loadModelFromFileList([new File([zip], 'bundle.zip')]), 'tiny');
  });

  it('names a zip that is broken, or a Twitter archive picked as a model', async () => {
    const zip = zipSync(Object.fromEntries(MODEL_FILE_NAMES.map((f) => [f, new Uint8Array(fs.readFileSync(path.join(TINY, f)))])));
    await expect(loadModelFromFileList([new File([zip.subarray(0, 3000)], 'bundle.zip')])).rejects.toThrow(/^bundle\.zip is not a readable zip \(.+\): pick a bundle/);
    const archive = zipSync({ 'twitter-2024-01-01-ada/data/tweets.js': new TextEncoder().encode('window.YTD.tweets.part0 = []'), 'data/account.js': new Uint8Array(1) });
    await expect(loadModelFromFileList([new File([archive], 'twitter-2024.zip')])).rejects.toThrow(/^twitter-2024\.zip is a Twitter\/X archive, not a model: drop it in step 1/);
  });

  it('takes a lone weights file with config and tokenizer from a fallback', async () => {
    const base = await loadHFDir(TINY);
    const files = await loadModelFromFileList(new Map([['model.safetensors', new Blob([fs.readFileSync(path.join(TINY, 'model.safetensors'))])]]), { fallback: base });
    expectTinyWeights(files, 'tiny');
    await expect(loadModelFromFileList([file(TINY, 'model.safetensors')])).rejects.toThrow(/^missing config\.json next to model\.safetensors$/);
    await expect(loadModelFromFileList([file(TINY, 'model.safetensors'), file(TINY, 'config.json')])).rejects.toThrow(/^the model folder has no vocab\.json, merges\.txt$/);
  });

  it('explains what is wrong with the wrong files', async () => {
    await expect(loadModelFromFileList([new File(['x'], 'pytorch_model.bin'), file(TINY, 'config.json')])).rejects.toThrow(/pytorch_model\.bin is not supported/);
    await expect(loadModelFromFileList([file(TINY, 'config.json')])).rejects.toThrow(/no model\.safetensors/);
    await expect(loadModelFromFileList([file(TINY, 'model.safetensors'), file(BARE, 'config.json'), file(TINY, 'vocab.json'), file(TINY, 'merges.txt')])).rejects.toThrow(/has shape/);
  });
});
