// Loading a model a person picked or dropped: the four files of a Hugging Face folder
// (loose or inside a folder), or a .zip bundle (as exported by this app) holding them.
// A lone model.safetensors (e.g. a weights file exported earlier) can borrow config and
// tokenizer files from `fallback` (the base model already loaded).
import { BlobReader, Uint8ArrayWriter, ZipReader, type FileEntry } from '@zip.js/zip.js';
import { findMembers } from '../archive/layout.ts';
import { MODEL_FILE_NAMES, modelFilesFromBytes, type ConfigCheck, type ModelFileName, type ModelFiles } from './load.ts';

/** Something with a name and bytes: a File, or a Blob under a name. */
export type NamedBlob = Blob & { name?: string; webkitRelativePath?: string };

function baseName(p: string): string {
  return p.slice(p.replace(/\\/g, '/').lastIndexOf('/') + 1);
}

const isModelFile = (name: string): name is ModelFileName => (MODEL_FILE_NAMES as readonly string[]).includes(name);

export interface FileListOptions {
  /** Files to use for any of config.json / vocab.json / merges.txt that were not given. */
  fallback?: Pick<ModelFiles, 'config' | 'vocabJson' | 'mergesTxt'>;
  /** Run on config.json before the weights are decoded (device-fit.ts's checkFitsActiveDevice in the worker). */
  checkConfig?: ConfigCheck;
}

/**
 * Builds ModelFiles from picked/dropped files: an array of Files (folder picks carry
 * webkitRelativePath), a FileList, or a map name -> Blob.
 */
export async function loadModelFromFileList(
  files: ArrayLike<NamedBlob> | Iterable<NamedBlob> | Map<string, Blob>,
  opts: FileListOptions = {},
): Promise<ModelFiles> {
  const found = new Map<string, Uint8Array>();
  const entries: [string, Blob][] =
    files instanceof Map ? [...files.entries()] : Array.from(files as ArrayLike<NamedBlob>, (f) => [f.webkitRelativePath || f.name || '', f]);
  for (const [name, blob] of entries) {
    const base = baseName(name);
    if (base.toLowerCase().endsWith('.zip')) {
      for (const [b, bytes] of await readModelMembers(blob, base)) found.set(b, bytes);
    } else if (isModelFile(base)) {
      found.set(base, new Uint8Array(await blob.arrayBuffer()));
    }
  }
  const names = entries.map(([n]) => baseName(n));
  if (!found.has('model.safetensors')) {
    const other = names.find((n) => /\.(bin|pt|pth|ckpt|h5|msgpack|onnx)$/i.test(n));
    throw new Error(
      other
        ? `${other} is not supported: choose a folder with model.safetensors (PyTorch .bin files cannot be read safely in a browser)`
        : 'no model.safetensors among the chosen files',
    );
  }
  const text = (f: ModelFileName) => {
    const b = found.get(f);
    return b ? new TextDecoder().decode(b) : undefined;
  };
  const fb = opts.fallback;
  const configJson = text('config.json') ?? (fb ? JSON.stringify(fb.config) : undefined);
  const vocabJson = text('vocab.json') ?? fb?.vocabJson;
  const mergesTxt = text('merges.txt') ?? fb?.mergesTxt;
  const missing = [
    configJson === undefined && 'config.json',
    vocabJson === undefined && 'vocab.json',
    mergesTxt === undefined && 'merges.txt',
  ].filter(Boolean);
  if (missing.length) throw new Error(`missing ${missing.join(', ')} next to model.safetensors`);
  return modelFilesFromBytes({
    configJson: configJson!,
    safetensors: found.get('model.safetensors')!,
    vocabJson: vocabJson!,
    mergesTxt: mergesTxt!,
  }, opts.checkConfig);
}

/**
 * Inflates only the model files of a zip, found through its central directory: a Twitter
 * archive picked here by mistake may hold gigabytes of media, which must not be read.
 */
async function readModelMembers(zip: Blob, name: string): Promise<Map<ModelFileName, Uint8Array>> {
  const reader = new ZipReader(new BlobReader(zip), { useWebWorkers: false });
  try {
    let entries: FileEntry[];
    try {
      entries = (await reader.getEntries()).filter((e): e is FileEntry => !e.directory);
    } catch (e) {
      throw new Error(`${name} is not a readable zip (${(e as Error).message}): pick a bundle exported by this app, or a model folder's files`);
    }
    const wanted = entries.filter((e) => isModelFile(baseName(e.filename)) && !e.filename.startsWith('__MACOSX/'));
    if (wanted.length === 0 && findMembers(entries).tweetFiles.length > 0) {
      throw new Error(`${name} is a Twitter/X archive, not a model: drop it in step 1 to count its tweets`);
    }
    const out = new Map<ModelFileName, Uint8Array>();
    for (const e of wanted) {
      try {
        out.set(baseName(e.filename) as ModelFileName, await e.getData(new Uint8ArrayWriter()));
      } catch (err) {
        throw new Error(`${name}: ${e.filename} could not be inflated (${(err as Error).message}): the zip is damaged or truncated`);
      }
    }
    return out;
  } finally {
    await reader.close().catch(() => undefined);
  }
}
