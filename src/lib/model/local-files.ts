// Loading a model a person picked or dropped: the files of a Hugging Face folder of any family
// (loose or inside a folder; model.safetensors or the shards its index names), or a .zip bundle
// (as exported by this app) holding them. A lone weights file (e.g. one exported earlier) can
// borrow config and tokenizer files from `fallback` (the base model already loaded).
import { BlobReader, Uint8ArrayWriter, ZipReader, type FileEntry } from '@zip.js/zip.js';
import { findMembers } from '../archive/layout.ts';
import { FAMILIES } from './families.ts';
import { COPIED_FILES, INDEX_FILE, SINGLE_FILE, type FolderModel } from './hf-folder.ts';
import { modelFolderFromBytes, type ConfigCheck } from './load.ts';

/** Something with a name and bytes: a File, or a Blob under a name. */
export type NamedBlob = Blob & { name?: string; webkitRelativePath?: string };

function baseName(p: string): string {
  return p.slice(p.replace(/\\/g, '/').lastIndexOf('/') + 1);
}

/** Every name a folder of a family this app runs may use for what it reads. */
const FOLDER_FILES = new Set(['config.json', INDEX_FILE, ...COPIED_FILES, ...Object.values(FAMILIES).flatMap((f) => f.tokenizerFiles)]);
const isModelFile = (name: string) => FOLDER_FILES.has(name) || name.endsWith('.safetensors');

export interface FileListOptions {
  /** Files to use for config.json and the tokenizer's that were not given. */
  fallback?: Pick<FolderModel, 'tokenizerFiles' | 'otherFiles'>;
  /** Run on config.json before the weights are decoded (device-fit.ts's checkFitsActiveDevice in the worker). */
  checkConfig?: ConfigCheck;
}

/**
 * Builds a model folder from picked/dropped files: an array of Files (folder picks carry
 * webkitRelativePath), a FileList, or a map name -> Blob.
 */
export async function loadModelFromFileList(
  files: ArrayLike<NamedBlob> | Iterable<NamedBlob> | Map<string, Blob>,
  opts: FileListOptions = {},
): Promise<FolderModel> {
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
  const weights = found.has(INDEX_FILE) ? INDEX_FILE : SINGLE_FILE;
  if (!found.has(weights)) {
    const other = names.find((n) => /\.(bin|pt|pth|ckpt|h5|msgpack|onnx)$/i.test(n));
    throw new Error(
      other
        ? `${other} is not supported: choose a folder with model.safetensors (PyTorch .bin files cannot be read safely in a browser)`
        : 'no model.safetensors among the chosen files',
    );
  }
  const fb = opts.fallback;
  const borrow = (file: string) => {
    const t = fb?.otherFiles[file] ?? fb?.tokenizerFiles[file];
    if (!found.has(file) && t !== undefined) found.set(file, new TextEncoder().encode(t));
  };
  borrow('config.json');
  if (!found.has('config.json')) throw new Error(`missing config.json next to ${weights}`);
  for (const file of [...Object.keys(fb?.tokenizerFiles ?? {}), ...COPIED_FILES]) borrow(file);
  return modelFolderFromBytes(found, opts.checkConfig);
}

/**
 * Inflates only the model files of a zip, found through its central directory: a Twitter
 * archive picked here by mistake may hold gigabytes of media, which must not be read.
 */
async function readModelMembers(zip: Blob, name: string): Promise<Map<string, Uint8Array>> {
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
    const out = new Map<string, Uint8Array>();
    for (const e of wanted) {
      try {
        out.set(baseName(e.filename), await e.getData(new Uint8ArrayWriter()));
      } catch (err) {
        throw new Error(`${name}: ${e.filename} could not be inflated (${(err as Error).message}): the zip is damaged or truncated`);
      }
    }
    return out;
  } finally {
    await reader.close().catch(() => undefined);
  }
}
