// Loading a Hugging Face model folder of any family (families.ts) from bytes, whatever their
// source: HTTP (with a Cache Storage copy), files a person picked or dropped (local-files.ts),
// or a directory on disk (Node, scripts/fixtures/). hf-folder.ts reads the weights; this adds
// what the page needs around it: the config check before the weights move, the tokenizer files
// a folder must have, and GPT-2's vocab.json checked against the config.
import { parseConfig, type GPT2Config } from './gpt2/config.ts';
import type { ModelFamily } from './family.ts';
import { familyOf } from './families.ts';
import { COPIED_FILES, INDEX_FILE, SINGLE_FILE, folderFromBytes, parseJsonFile, weightFileNames, type FolderModel } from './hf-folder.ts';
import type { TensorData } from './safetensors.ts';

export type { FolderModel } from './hf-folder.ts';

/** A GPT-2 folder as GPT-2's own readers (CLI, fixtures, tests) use it. */
export interface ModelFiles {
  config: GPT2Config;
  /** Parameters by HF name without prefix, checked against the config's shapes. */
  weights: Map<string, TensorData>;
  vocabJson: string;
  mergesTxt: string;
}

/** A GPT-2 folder's files (the default model's). */
export const MODEL_FILE_NAMES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'] as const;

/**
 * A check of the parsed config before any weight is read (or downloaded): throws to refuse, or
 * returns a line to show (device-fit.ts's checkFitsActiveDevice in the worker).
 */
export type ConfigCheck = (family: ModelFamily, config: unknown) => string | void;

const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** A tokenizer file that is also copied along (tokenizer_config.json) is optional; the others are not. */
const isOptional = (name: string) => (COPIED_FILES as readonly string[]).includes(name);

/** config.json's bytes -> its family and parsed config, in one line when it is not one. */
function familyConfig(bytes: Uint8Array | undefined): { family: ModelFamily; config: unknown } {
  if (bytes === undefined) throw new Error('the model folder has no config.json');
  const family = familyOf(parseJsonFile('config.json', text(bytes)));
  return { family, config: family.parseConfig(parseJsonFile('config.json', text(bytes))) };
}

/**
 * Checks and reads a model folder (`files` by base name): the config (and `checkConfig`), the
 * tokenizer files the family needs, GPT-2's vocabulary against vocab_size, then the weights
 * (hf-folder.ts: names and shapes before any is decoded). Errors name the file at fault.
 */
export function modelFolderFromBytes(files: ReadonlyMap<string, Uint8Array>, checkConfig?: ConfigCheck): FolderModel {
  const { family, config } = familyConfig(files.get('config.json'));
  checkConfig?.(family, config);
  const missing = family.tokenizerFiles.filter((f) => !isOptional(f) && !files.has(f));
  if (missing.length) throw new Error(`the model folder has no ${missing.join(', ')}`);
  if (family.modelType === 'gpt2') {
    checkVocab(text(files.get('vocab.json')!), config as GPT2Config);
    if (!text(files.get('merges.txt')!).includes(' ')) throw new Error('merges.txt: no merges found (expected lines "a b")');
  }
  return folderFromBytes(files);
}

/** A GPT-2 folder read by the generic path, as GPT-2's readers take it. */
export function gpt2Files(folder: FolderModel): ModelFiles {
  if (folder.family.modelType !== 'gpt2') throw new Error(`config.json: model_type "${folder.family.modelType}" is not GPT-2`);
  const t = folder.tokenizerFiles;
  return { config: folder.config as GPT2Config, weights: folder.weights, vocabJson: t['vocab.json'], mergesTxt: t['merges.txt'] };
}

/** GPT-2's files (e.g. made in a test) as the folder every family's loader gives. */
export function gpt2Folder(files: ModelFiles): FolderModel {
  return {
    family: familyOf({ model_type: 'gpt2' }),
    config: files.config,
    weights: files.weights,
    tokenizerFiles: { 'vocab.json': files.vocabJson, 'merges.txt': files.mergesTxt },
    otherFiles: { 'config.json': JSON.stringify(files.config) },
  };
}

/** GPT-2's four files -> ModelFiles; a config of another family is refused (GPT-2's parser says so). */
export function modelFilesFromBytes(
  parts: { configJson: string; safetensors: ArrayBuffer | Uint8Array; vocabJson: string; mergesTxt: string },
): ModelFiles {
  parseConfig(parseJsonFile('config.json', parts.configJson));
  const enc = (t: string) => new TextEncoder().encode(t);
  return gpt2Files(modelFolderFromBytes(new Map([
    ['config.json', enc(parts.configJson)],
    [SINGLE_FILE, parts.safetensors instanceof Uint8Array ? parts.safetensors : new Uint8Array(parts.safetensors)],
    ['vocab.json', enc(parts.vocabJson)],
    ['merges.txt', enc(parts.mergesTxt)],
  ])));
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
  file: string;
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
  file: string,
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

/**
 * One file: from the cache when present, else over the network. An `optional` file the server
 * has not (any HTTP error), or that no answer came for, is undefined.
 */
async function fetchFile(base: string, file: string, opts: LoadOptions, cache: Cache | undefined, optional = false): Promise<Fetched | undefined> {
  const hit = cache && (await cachedOnly(cache, base, file, opts));
  if (hit) return hit;
  const url = new URL(file, base).href;
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    if (optional) return undefined;
    // fetch rejects only when no answer came ("Failed to fetch", "fetch failed"): say what that means.
    throw new Error(`cannot download ${url}: no answer (${(e as Error).message}); is this computer offline?`);
  }
  if (!res.ok && optional) return void (await res.body?.cancel());
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
 * Loads a model folder served over HTTP (e.g. the Hub's .../resolve/main/). config.json comes
 * first and is checked (its family and sizes, then `checkConfig`: will it fit this device?), so
 * a model that cannot run is refused before hundreds of MB move. The weights are
 * model.safetensors, or the shards model.safetensors.index.json names. Files go to Cache Storage
 * (where available) only once the whole folder has checked out, all together, so the next visit
 * needs no network and a refused file is never kept; a cached file that no longer checks out is
 * dropped. A folder whose config.json is cached is read from the cache alone: the optional files
 * it lacks there, it lacked when it was kept.
 */
export async function loadModelFromUrl(baseUrl: string, opts: LoadOptions = {}): Promise<FolderModel> {
  const base = normalizeBaseUrl(baseUrl);
  const store = opts.cache === false ? undefined : cacheStorage();
  const cache = store ? await store.open(MODEL_CACHE_NAME) : undefined;
  const fetched: Fetched[] = [];
  const refuse = async (e: unknown): Promise<never> => {
    if (cache) await Promise.all(fetched.filter((f) => f.cached).map((f) => cache.delete(f.url).catch(() => false)));
    throw e;
  };
  const config = (await fetchFile(base, 'config.json', opts, cache))!;
  fetched.push(config);
  let checked: { family: ModelFamily; config: unknown };
  try {
    checked = familyConfig(config.bytes);
  } catch (e) {
    return refuse(new Error(`${(e as Error).message} (${base}config.json)`));
  }
  const note = opts.checkConfig?.(checked.family, checked.config); // throws when the device cannot hold it: the file itself is fine
  if (note) opts.onProgress?.({ file: 'config.json', loaded: config.bytes.byteLength, total: config.bytes.byteLength, cached: config.cached, note });
  // A folder whose config.json is cached was kept whole: what it lacks in the cache, it lacked.
  const maybe = (file: string) => (config.cached ? cachedOnly(cache!, base, file, opts) : fetchFile(base, file, opts, cache, true));
  const index = await maybe(INDEX_FILE);
  if (index) fetched.push(index);
  let weightNames: string[];
  try {
    weightNames = weightFileNames(index && text(index.bytes));
  } catch (e) {
    return refuse(e);
  }
  const tokenizer = checked.family.tokenizerFiles;
  const required = [...weightNames, ...tokenizer.filter((f) => !isOptional(f))];
  const extras = [...new Set([...tokenizer.filter(isOptional), ...COPIED_FILES])];
  const [got, extra] = await Promise.all([
    Promise.all(required.map((f) => fetchFile(base, f, opts, cache) as Promise<Fetched>)),
    Promise.all(extras.map(maybe)),
  ]);
  fetched.push(...got, ...extra.filter((f) => f !== undefined));
  let folder: FolderModel;
  try {
    const files = new Map(fetched.map((f) => [f.url.slice(base.length), f.bytes]));
    folder = modelFolderFromBytes(files);
  } catch (e) {
    return refuse(e);
  }
  if (cache) await keepFiles(cache, fetched);
  return folder;
}

/** A file from the cache only, or undefined. */
async function cachedOnly(cache: Cache, base: string, file: string, opts: LoadOptions): Promise<Fetched | undefined> {
  const url = new URL(file, base).href;
  const hit = await cache.match(url);
  return hit && { url, bytes: await readBody(hit, file, true, opts.onProgress), cached: true, type: '' };
}

export interface CachedModel {
  baseUrl: string;
  files: string[];
  bytes: number;
  /** config.json and the weights (model.safetensors or the shard index) are cached: the model loads offline. */
  complete: boolean;
}

/** The name of a file a model folder is cached with (the cache is this loader's alone: anything else is not). */
const isFolderFile = (name: string) => name.endsWith('.safetensors') || name.endsWith('.json') || name.endsWith('.txt');

/**
 * Models in Cache Storage, grouped by folder URL. Empty where Cache Storage is missing. A folder
 * is kept all at once, so one whose config and weights are there has the rest too.
 */
export async function listCachedModels(): Promise<CachedModel[]> {
  const store = cacheStorage();
  if (!store || !(await store.has(MODEL_CACHE_NAME))) return [];
  const cache = await store.open(MODEL_CACHE_NAME);
  const byBase = new Map<string, CachedModel>();
  for (const req of await cache.keys()) {
    const url = new URL(req.url);
    const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    if (!isFolderFile(file)) continue;
    const baseUrl = req.url.slice(0, req.url.length - file.length);
    const entry = byBase.get(baseUrl) ?? { baseUrl, files: [], bytes: 0, complete: false };
    const res = await cache.match(req);
    entry.files.push(file);
    entry.bytes += Number(res?.headers.get('content-length') ?? 0);
    entry.complete = entry.files.includes('config.json') && (entry.files.includes(SINGLE_FILE) || entry.files.includes(INDEX_FILE));
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
  const inFolder = (url: string) => url.startsWith(base) && !url.slice(base.length).includes('/');
  await Promise.all((await cache.keys()).filter((r) => inFolder(r.url)).map((r) => cache.delete(r)));
}
