// A Hugging Face model folder of any family (families.ts) from its files' bytes: config.json,
// the weights in model.safetensors or in the shards model.safetensors.index.json names, and
// the family's tokenizer files. The page's loaders (load.ts: a URL with Cache Storage;
// local-files.ts: picked files) and the Node fixtures all end here. Everything that can be
// checked before a weight is decoded is: the config, the index, every shard's header, and the
// names and shapes against the family's table.
import type { ModelFamily } from './family.ts';
import { familyOf } from './families.ts';
import { decodeTensor, readSafetensorsHeader, type SafetensorsHeader, type TensorData, type TensorEntry } from './safetensors.ts';

export interface FolderModel {
  family: ModelFamily;
  config: unknown;
  /** Parameters by logical name, float32 (F16/BF16 storage converted), checked against the table. */
  weights: Map<string, TensorData>;
  /** The family's tokenizer files by name, as text. */
  tokenizerFiles: Record<string, string>;
  /** config.json's text, and the COPIED_FILES the folder has: what an export copies as it came. */
  otherFiles: Record<string, string>;
}

/** Small files a folder may hold that no family needs to run, but an export carries along. */
export const COPIED_FILES = ['generation_config.json', 'special_tokens_map.json', 'tokenizer_config.json'] as const;

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** Shard names as save_pretrained writes them; nothing with a path in it. */
const SHARD_NAME = /^[\w.-]{1,200}\.safetensors$/;
/** Most shards accepted (Qwen2.5-72B has 37). */
const MAX_SHARDS = 1024;
/** Largest config.json or index read (Qwen2.5-72B's index: 80 KB); past it a file is broken or hostile. */
export const MAX_JSON_BYTES = 16 * 2 ** 20;
const isBoundedJson = (name: string) => name === 'config.json' || name === INDEX_FILE;

function checkJsonSize(name: string, bytes: number): void {
  if (isBoundedJson(name) && bytes > MAX_JSON_BYTES) throw new Error(`${name} is over ${MAX_JSON_BYTES / 2 ** 20} MB`);
}

/** A model folder's JSON file (config.json, the shard index, vocab.json) -> its JSON, with a one-line error. */
export function parseJsonFile(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The weight files a folder's index names, in order, or [model.safetensors] when it has no index.
 * Refuses an index that is not {weight_map: {tensor: shard}} or names a path.
 */
export function weightFileNames(indexText: string | undefined): string[] {
  if (indexText === undefined) return [SINGLE_FILE];
  const map = indexWeightMap(indexText);
  return [...new Set(map.values())];
}

function indexWeightMap(indexText: string): Map<string, string> {
  const index = parseJsonFile(INDEX_FILE, indexText);
  const wm = index !== null && typeof index === 'object' ? (index as Record<string, unknown>).weight_map : undefined;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new Error(`${INDEX_FILE}: no "weight_map" object`);
  const map = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== 'string' || !SHARD_NAME.test(shard)) {
      throw new Error(`${INDEX_FILE}: the shard of "${tensor.slice(0, 60)}" is ${JSON.stringify(shard)?.slice(0, 60)}, not a .safetensors file name`);
    }
    map.set(tensor, shard);
  }
  if (new Set(map.values()).size > MAX_SHARDS) throw new Error(`${INDEX_FILE}: more than ${MAX_SHARDS} shards`);
  return map;
}

/**
 * Builds a model folder from its files' bytes (`files` by base name). Weights come from
 * model.safetensors, or, when the index is there, from its shards: each tensor must be in the
 * shard the index names, and in one shard only.
 */
export function folderFromBytes(files: ReadonlyMap<string, Uint8Array>): FolderModel {
  const text = (name: string) => {
    const b = files.get(name);
    if (b !== undefined) checkJsonSize(name, b.byteLength);
    return b === undefined ? undefined : new TextDecoder().decode(b);
  };
  const configText = text('config.json');
  if (configText === undefined) throw new Error('the model folder has no config.json');
  const json = parseJsonFile('config.json', configText);
  const family = familyOf(json);
  const config = family.parseConfig(json);
  const indexText = text(INDEX_FILE);
  const index = indexText === undefined ? undefined : indexWeightMap(indexText);
  const entries = new Map<string, { entry: TensorEntry; header: SafetensorsHeader; bytes: Uint8Array }>();
  for (const file of weightFileNames(indexText)) {
    const bytes = files.get(file);
    if (!bytes) throw new Error(`the model folder has no ${file}${index ? ` (named by ${INDEX_FILE})` : ''}`);
    const header = readSafetensorsHeader(bytes, { file });
    for (const entry of header.entries) {
      if (entries.has(entry.name)) throw new Error(`${file}: "${entry.name}" is also in another shard`);
      if (index && index.get(entry.name) !== file) {
        throw new Error(`${file}: "${entry.name}" is not listed for this file in ${INDEX_FILE}`);
      }
      entries.set(entry.name, { entry, header, bytes });
    }
  }
  if (index) {
    const absent = [...index.keys()].find((n) => !entries.has(n));
    if (absent) throw new Error(`${INDEX_FILE} lists "${absent.slice(0, 60)}" in ${index.get(absent)}, which does not hold it`);
  }
  const shapes = new Map([...entries].map(([n, e]) => [n, { shape: e.entry.shape, name: n }]));
  const checked = family.fromHF(config, shapes); // names and shapes, before any decoding
  const weights = new Map<string, TensorData>();
  for (const [logical, { name }] of checked) {
    const e = entries.get(name)!;
    const { shape, data } = decodeTensor(e.bytes, e.header, e.entry);
    weights.set(logical, { shape, data });
  }
  const texts = (names: readonly string[]) => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const t = text(name);
      if (t !== undefined) out[name] = t;
    }
    return out;
  };
  return { family, config, weights, tokenizerFiles: texts(family.tokenizerFiles), otherFiles: texts(['config.json', ...COPIED_FILES]) };
}

/**
 * A folder a person picked or dropped, by base name: reads only what the folder needs
 * (config.json, the index, the weight files it names, the family's tokenizer files, COPIED_FILES).
 */
export async function folderFromBlobs(blobs: ReadonlyMap<string, Blob>): Promise<FolderModel> {
  const files = new Map<string, Uint8Array>();
  const read = async (name: string) => {
    const b = blobs.get(name);
    if (b) checkJsonSize(name, b.size);
    if (b) files.set(name, new Uint8Array(await b.arrayBuffer()));
    return files.get(name);
  };
  const config = await read('config.json');
  if (!config) throw new Error('no config.json among the chosen files');
  const family = familyOf(parseJsonFile('config.json', new TextDecoder().decode(config)));
  const index = await read(INDEX_FILE);
  for (const name of weightFileNames(index && new TextDecoder().decode(index))) await read(name);
  for (const name of [...family.tokenizerFiles, ...COPIED_FILES]) await read(name);
  return folderFromBytes(files);
}
