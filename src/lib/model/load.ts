// Loading a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json,
// merges.txt) from bytes, whatever their source: HTTP (with a Cache Storage copy),
// files a person picked or dropped, or a directory on disk (Node, scripts/fixtures/model-dir.ts).
import { parseConfig, type GPT2Config } from './config.ts';
import { normalizeWeights } from './params.ts';
import { readSafetensors, type TensorData } from './safetensors.ts';

export interface ModelFiles {
  config: GPT2Config;
  /** Parameters by HF name without prefix, checked against the config's shapes. */
  weights: Map<string, TensorData>;
  vocabJson: string;
  mergesTxt: string;
}

export const MODEL_FILE_NAMES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'] as const;
export type ModelFileName = (typeof MODEL_FILE_NAMES)[number];

/** Parses and cross-checks the four files of a model folder; errors name the file at fault. */
export function modelFilesFromBytes(parts: {
  configJson: string;
  safetensors: ArrayBuffer | Uint8Array;
  vocabJson: string;
  mergesTxt: string;
}): ModelFiles {
  let json: unknown;
  try {
    json = JSON.parse(parts.configJson);
  } catch (e) {
    throw new Error(`config.json is not valid JSON (${(e as Error).message})`);
  }
  const config = parseConfig(json);
  // The causal-mask buffers are constants (and 4 MB per layer at n_positions 1024): skip decoding them.
  const raw = readSafetensors(parts.safetensors, { include: (n) => !/\.attn\.(bias|masked_bias)$/.test(n) });
  const weights = normalizeWeights(config, raw);
  let vocab: unknown;
  try {
    vocab = JSON.parse(parts.vocabJson);
  } catch (e) {
    throw new Error(`vocab.json is not valid JSON (${(e as Error).message})`);
  }
  const vocabSize = vocab && typeof vocab === 'object' ? Object.keys(vocab).length : 0;
  if (vocabSize === 0) throw new Error('vocab.json: expected an object mapping tokens to ids');
  if (vocabSize > config.vocab_size) {
    throw new Error(`vocab.json has ${vocabSize} tokens but config.json's vocab_size is ${config.vocab_size}`);
  }
  if (!parts.mergesTxt.includes(' ')) throw new Error('merges.txt: no merges found (expected lines "a b")');
  return { config, weights, vocabJson: parts.vocabJson, mergesTxt: parts.mergesTxt };
}

export interface LoadProgress {
  file: ModelFileName;
  loaded: number;
  /** Bytes expected (Content-Length); 0 when the server did not say. */
  total: number;
  /** True when served from the local cache rather than the network. */
  cached?: boolean;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Use and fill Cache Storage when the environment has it (default true). */
  cache?: boolean;
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

/** One file: from the cache when present, else over the network (then cached). */
async function fetchFile(base: string, file: ModelFileName, opts: LoadOptions): Promise<Uint8Array> {
  const url = new URL(file, base).href;
  const store = opts.cache === false ? undefined : cacheStorage();
  const cache = store ? await store.open(MODEL_CACHE_NAME) : undefined;
  const hit = await cache?.match(url);
  if (hit) return readBody(hit, file, true, opts.onProgress);
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
  if (cache) {
    const type = res.headers.get('content-type') ?? 'application/octet-stream';
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': type, 'content-length': String(bytes.byteLength) },
    }));
  }
  return bytes;
}

/**
 * Loads a GPT-2 folder served over HTTP (e.g. the Hub's .../resolve/main/). config.json
 * comes first and is checked, so a non-GPT-2 model is refused before hundreds of MB move.
 * Files are kept in Cache Storage (where available) so the next visit needs no network.
 */
export async function loadModelFromUrl(baseUrl: string, opts: LoadOptions = {}): Promise<ModelFiles> {
  const base = normalizeBaseUrl(baseUrl);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const configJson = text(await fetchFile(base, 'config.json', opts));
  let json: unknown;
  try {
    json = JSON.parse(configJson);
  } catch (e) {
    throw new Error(`config.json at ${base} is not valid JSON (${(e as Error).message})`);
  }
  parseConfig(json);
  const [st, vocab, merges] = await Promise.all([
    fetchFile(base, 'model.safetensors', opts),
    fetchFile(base, 'vocab.json', opts),
    fetchFile(base, 'merges.txt', opts),
  ]);
  return modelFilesFromBytes({ configJson, safetensors: st, vocabJson: text(vocab), mergesTxt: text(merges) });
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

export { loadModelFromFileList } from './local-files.ts';
