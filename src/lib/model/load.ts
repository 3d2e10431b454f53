// Loading a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json,
// merges.txt) from bytes, whatever their source: HTTP (with a Cache Storage copy),
// files a person picked or dropped, or a directory on disk (Node, scripts/fixtures/model-dir.ts).
import { parseConfig, type GPT2Config } from './gpt2/config.ts';
import { normalizeWeights } from './gpt2/params.ts';
import { decodeTensor, readSafetensorsHeader, type TensorData } from './safetensors.ts';
import { parseJsonFile } from './hf-folder.ts';

export interface ModelFiles {
  config: GPT2Config;
  /** Parameters by HF name without prefix, checked against the config's shapes. */
  weights: Map<string, TensorData>;
  vocabJson: string;
  mergesTxt: string;
}

export const MODEL_FILE_NAMES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'] as const;
export type ModelFileName = (typeof MODEL_FILE_NAMES)[number];

/** A check of the parsed config before any weight is read: throws to refuse, or returns a line to show. */
export type ConfigCheck = (config: GPT2Config) => string | void;

/** The causal-mask buffers are constants (and 4 MB per layer at n_positions 1024): never decoded. */
const isMaskBuffer = (name: string) => /\.attn\.(bias|masked_bias)$/.test(name);

/**
 * Parses and cross-checks the four files of a model folder; errors name the file at fault.
 * Everything that can be checked without the weights' values is checked before one is decoded:
 * the config's sizes, the whole safetensors header, its names and shapes against the config's
 * parameter table, and the vocabulary's ids against vocab_size.
 */
export function modelFilesFromBytes(
  parts: { configJson: string; safetensors: ArrayBuffer | Uint8Array; vocabJson: string; mergesTxt: string },
  checkConfig?: ConfigCheck,
): ModelFiles {
  const config = parseConfig(parseJsonFile('config.json', parts.configJson));
  checkConfig?.(config);
  const bytes = parts.safetensors instanceof Uint8Array ? parts.safetensors : new Uint8Array(parts.safetensors);
  const header = readSafetensorsHeader(bytes, { file: 'model.safetensors' });
  const entries = normalizeWeights(config, new Map(header.entries.filter((e) => !isMaskBuffer(e.name)).map((e) => [e.name, e])));
  checkVocab(parts.vocabJson, config);
  if (!parts.mergesTxt.includes(' ')) throw new Error('merges.txt: no merges found (expected lines "a b")');
  const weights = new Map<string, TensorData>();
  for (const [name, e] of entries) weights.set(name, decodeTensor(bytes, header, e));
  return { config, weights, vocabJson: parts.vocabJson, mergesTxt: parts.mergesTxt };
}

/**
 * vocab.json must map tokens to ids the model has: an id at or past vocab_size has no row in the
 * embedding (and a huge one would size the tokenizer's tables). Fewer tokens than vocab_size is
 * allowed (GPT-2 checkpoints pad the vocabulary); generation never samples the ids without a token.
 */
function checkVocab(vocabJson: string, config: GPT2Config): void {
  const vocab = parseJsonFile('vocab.json', vocabJson);
  const entries = vocab && typeof vocab === 'object' && !Array.isArray(vocab) ? Object.entries(vocab) : [];
  if (entries.length === 0) throw new Error('vocab.json: expected an object mapping tokens to ids');
  if (entries.length > config.vocab_size) {
    throw new Error(`vocab.json has ${entries.length} tokens but config.json's vocab_size is ${config.vocab_size}`);
  }
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= config.vocab_size) {
      throw new Error(`vocab.json: the id of ${JSON.stringify(token).slice(0, 40)} is ${JSON.stringify(id)?.slice(0, 20)}, outside config.json's vocab_size (0..${config.vocab_size - 1})`);
    }
  }
}

export interface LoadProgress {
  file: ModelFileName;
  loaded: number;
  /** Bytes expected (Content-Length); 0 when the server did not say. */
  total: number;
  /** True when served from the local cache rather than the network. */
  cached?: boolean;
  /** Once config.json is checked: what the model needs against what the device offers (memory-estimate.ts). */
  note?: string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Use and fill Cache Storage when the environment has it (default true). */
  cache?: boolean;
  /** Run on config.json before the other files download (device-fit.ts's checkFitsActiveDevice in the worker). */
  checkConfig?: ConfigCheck;
}

/** Cache Storage bucket holding downloaded model files, keyed by their URLs. */
export const MODEL_CACHE_NAME = 'tweetforge-models-v1';

function cacheStorage(): CacheStorage | undefined {
  return typeof caches === 'undefined' ? undefined : caches;
}

/** `base` with exactly one trailing slash, so file names resolve inside it. */
export function normalizeBaseUrl(base: string): string {
  return base.endsWith('/') ? base : base + '/';
}

/** Reads a response body to the end, reporting bytes as they arrive. */
async function readBody(
  res: Response,
  file: ModelFileName,
  cached: boolean,
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  const header = Number(res.headers.get('content-length') ?? '0');
  // A compressed transfer's Content-Length counts compressed bytes; it is only a hint.
  const total = Number.isFinite(header) && header > 0 ? header : 0;
  onProgress?.({ file, loaded: 0, total, cached });
  if (!res.body) {
    const buf = new Uint8Array(await res.arrayBuffer());
    onProgress?.({ file, loaded: buf.byteLength, total: buf.byteLength, cached });
    return buf;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ file, loaded, total: Math.max(total, loaded), cached });
  }
  const out = new Uint8Array(loaded);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  onProgress?.({ file, loaded, total: loaded, cached });
  return out;
}

/** One file's bytes, and where they came from: a file fetched from the network is cached only once the folder checks out. */
interface Fetched {
  url: string;
  bytes: Uint8Array;
  cached: boolean;
  type: string;
}

/** One file: from the cache when present, else over the network. */
async function fetchFile(base: string, file: ModelFileName, opts: LoadOptions, cache: Cache | undefined): Promise<Fetched> {
  const url = new URL(file, base).href;
  const hit = await cache?.match(url);
  if (hit) return { url, bytes: await readBody(hit, file, true, opts.onProgress), cached: true, type: '' };
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    // fetch rejects only when no answer came ("Failed to fetch", "fetch failed"): say what that means.
    throw new Error(`cannot download ${url}: no answer (${(e as Error).message}); is this computer offline?`);
  }
  if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  const bytes = await readBody(res, file, false, opts.onProgress);
  return { url, bytes, cached: false, type: res.headers.get('content-type') ?? 'application/octet-stream' };
}

/**
 * Keeps the downloaded files of a folder that checked out. A put that fails (quota) leaves none
 * of this folder's new files behind, so the folder is never listed complete with a file missing.
 */
async function keepFiles(cache: Cache, files: Fetched[]): Promise<void> {
  const fresh = files.filter((f) => !f.cached);
  try {
    for (const f of fresh) {
      await cache.put(f.url, new Response(f.bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': f.type, 'content-length': String(f.bytes.byteLength) },
      }));
    }
  } catch {
    // The model is loaded and in use; it will simply be downloaded again next time.
    await Promise.all(fresh.map((f) => cache.delete(f.url).catch(() => false)));
  }
}

/**
 * Loads a GPT-2 folder served over HTTP (e.g. the Hub's .../resolve/main/). config.json
 * comes first and is checked (its sizes, then `checkConfig`: will it fit this device?), so a
 * model that cannot run is refused before hundreds of MB move. Files go to Cache Storage
 * (where available) only once the whole folder has checked out, so the next visit needs no
 * network and a refused file is never kept; a cached file that no longer checks out is dropped.
 */
export async function loadModelFromUrl(baseUrl: string, opts: LoadOptions = {}): Promise<ModelFiles> {
  const base = normalizeBaseUrl(baseUrl);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const store = opts.cache === false ? undefined : cacheStorage();
  const cache = store ? await store.open(MODEL_CACHE_NAME) : undefined;
  const fetched: Fetched[] = [];
  const refuse = async (e: unknown): Promise<never> => {
    if (cache) await Promise.all(fetched.filter((f) => f.cached).map((f) => cache.delete(f.url).catch(() => false)));
    throw e;
  };
  const config = await fetchFile(base, 'config.json', opts, cache);
  fetched.push(config);
  const configJson = text(config.bytes);
  let parsed: GPT2Config;
  try {
    parsed = parseConfig(JSON.parse(configJson));
  } catch (e) {
    const why = e instanceof SyntaxError ? `config.json at ${base} is not valid JSON (${e.message})` : (e as Error).message;
    return refuse(new Error(why));
  }
  const note = opts.checkConfig?.(parsed); // throws when the device cannot hold it: the file itself is fine
  if (note) opts.onProgress?.({ file: 'config.json', loaded: config.bytes.byteLength, total: config.bytes.byteLength, cached: config.cached, note });
  fetched.push(...(await Promise.all(
    (['model.safetensors', 'vocab.json', 'merges.txt'] as const).map((f) => fetchFile(base, f, opts, cache)),
  )));
  const [, st, vocab, merges] = fetched;
  let files: ModelFiles;
  try {
    files = modelFilesFromBytes({ configJson, safetensors: st.bytes, vocabJson: text(vocab.bytes), mergesTxt: text(merges.bytes) });
  } catch (e) {
    return refuse(e);
  }
  if (cache) await keepFiles(cache, fetched);
  return files;
}

export interface CachedModel {
  baseUrl: string;
  files: ModelFileName[];
  bytes: number;
  /** All four files are cached: the model loads offline. */
  complete: boolean;
}

/** Models in Cache Storage, grouped by folder URL. Empty where Cache Storage is missing. */
export async function listCachedModels(): Promise<CachedModel[]> {
  const store = cacheStorage();
  if (!store || !(await store.has(MODEL_CACHE_NAME))) return [];
  const cache = await store.open(MODEL_CACHE_NAME);
  const byBase = new Map<string, CachedModel>();
  for (const req of await cache.keys()) {
    const url = new URL(req.url);
    const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1) as ModelFileName;
    if (!(MODEL_FILE_NAMES as readonly string[]).includes(file)) continue;
    const baseUrl = req.url.slice(0, req.url.length - file.length);
    const entry = byBase.get(baseUrl) ?? { baseUrl, files: [], bytes: 0, complete: false };
    const res = await cache.match(req);
    entry.files.push(file);
    entry.bytes += Number(res?.headers.get('content-length') ?? 0);
    entry.complete = entry.files.length === MODEL_FILE_NAMES.length;
    byBase.set(baseUrl, entry);
  }
  return [...byBase.values()];
}

/** Deletes one model's cached files (by folder URL), or every cached model when none is given. */
export async function clearModelCache(baseUrl?: string): Promise<void> {
  const store = cacheStorage();
  if (!store) return;
  if (baseUrl === undefined) {
    await store.delete(MODEL_CACHE_NAME);
    return;
  }
  const cache = await store.open(MODEL_CACHE_NAME);
  const base = normalizeBaseUrl(baseUrl);
  await Promise.all(MODEL_FILE_NAMES.map((f) => cache.delete(new URL(f, base).href)));
}
