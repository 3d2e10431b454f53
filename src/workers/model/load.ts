// Loading a base model of any family into the worker: from a URL or picked files, onto the
// device, with its family's tokenizer. A failure leaves the model loaded before in use.
import { etaSeconds } from '../../lib/eta.ts';
import { CausalLM } from '../../lib/model/causal-lm.ts';
import { checkFitsActiveDevice } from '../../lib/model/device-fit.ts';
import { loadModelFromUrl, type FolderModel } from '../../lib/model/load.ts';
import { loadModelFromFileList } from '../../lib/model/local-files.ts';
import { detachLora } from '../../lib/lora/adapters.ts';
import { DatasetEncoder } from '../../lib/tokenizer/dataset-encoder.ts';
import type { ModelSource } from './protocol.ts';
import type { SessionCore } from './state.ts';
import { paramCountOf, trainingChunkBytes } from './weights.ts';

/** How a run records its base model: the folder URL, or 'files:' and the names picked. */
export function sourceName(origin: ModelSource): string {
  return origin.kind === 'url' ? origin.url : 'files:' + origin.files.map((f) => f.name).join(',');
}

/**
 * Loads a base model. A run in hand is the previous weights' (its trainer trains them): it is
 * dropped once the new model is in, unless `keepRun` (rebuilding after a lost device).
 */
export async function loadModel(core: SessionCore, source: ModelSource, { keepRun = false } = {}): Promise<void> {
  if (core.training) throw new Error('pause training before loading another model');
  const before = core.status;
  core.say('loading');
  try {
    const files = await fetchFiles(core, source);
    install(core, files, source);
    if (!keepRun) core.forgetRun();
  } catch (e) {
    // The model in use, if any, is still the one loaded before: generating and exporting
    // from it go on as before the attempt.
    core.setStatus(before);
    throw e;
  }
  core.say('ready');
}

/** The model as loaded, read again: from its URL (Cache Storage), or from the files it was picked from. */
export function reload(core: SessionCore, opts: { keepRun?: boolean } = {}): Promise<void> {
  return loadModel(core, core.base('no model loaded').origin, opts);
}

async function fetchFiles(core: SessionCore, source: ModelSource): Promise<FolderModel> {
  const checkConfig = checkFitsActiveDevice; // before the weights download: refused if this device cannot hold them
  if (source.kind === 'files') return loadModelFromFileList(source.files, { checkConfig });
  // Each file's rate is measured from its first report on: when the bytes before it began is unknown.
  const first = new Map<string, { at: number; loaded: number }>();
  const onProgress = (file: string, loaded: number, total: number, note?: string) => {
    const now = performance.now();
    const f = first.get(file) ?? { at: now, loaded };
    first.set(file, f);
    core.emit({ type: 'load-progress', file, loaded, total, etaSec: etaSeconds(loaded - f.loaded, total - f.loaded, now - f.at), ...(note ? { note } : {}) });
  };
  const loadUrl = core.deps.loadUrl ?? ((u, p) => loadModelFromUrl(u, { onProgress: (e) => p(e.file, e.loaded, e.total, e.note), checkConfig }));
  return loadUrl(source.url, onProgress);
}

/**
 * Installs a loaded model. Nothing of the previous model is let go until the new one is on the
 * device, so a failure leaves it in use; for that moment both are on the device.
 */
export function install(core: SessionCore, folder: FolderModel, origin: ModelSource): void {
  const { family, config } = folder;
  const dims = family.dims(config);
  const tok = family.tokenizer(folder.tokenizerFiles);
  if (tok.vocabSize > dims.vocab) {
    throw new Error(`the tokenizer has ${tok.vocabSize} ids but config.json's vocab_size is ${dims.vocab}: the model has no row for the rest`);
  }
  // The pool's workers start and warm up (warm-up.ts) while the weights go to the device: the
  // page's Start loads the model and tokenizes straight after.
  const encoder = new DatasetEncoder(tok, core.deps.createTokenizerPool);
  encoder.start();
  let lm: CausalLM;
  try {
    lm = CausalLM.fromWeights(family, config, folder.weights, { maxBufferBytes: trainingChunkBytes(family, config) });
  } catch (e) {
    encoder.terminate();
    throw e;
  }
  disposeModel(core, 'another model was loaded');
  // The weights now live on the device: the JS copy (folder.weights) is let go with the folder.
  const files = { tokenizerFiles: folder.tokenizerFiles, otherFiles: folder.otherFiles };
  core.model = { kind: 'loaded', base: { family, config, files, origin, tok, encoder }, lm, trained: false };
  core.emit({
    type: 'loaded',
    modelType: family.modelType,
    params: paramCountOf(family, config),
    layers: dims.layers,
    width: dims.width,
    vocab: dims.vocab,
    positions: dims.positions,
    source: sourceName(origin),
    config,
  });
}

/**
 * Lets go of the model in use: a prepare in flight and the tokenizer workers (the only threads
 * the session starts), the samplings that read its weights, and the weights.
 */
export function disposeModel(core: SessionCore, why: string): void {
  core.preparing?.abort();
  core.stopSamplers(why);
  if (core.model.kind === 'none') return;
  core.model.base.encoder.terminate();
  if (core.model.kind === 'loaded') {
    detachLora(core.model.lm); // a run's adapters go with the base they were trained beside
    core.model.lm.dispose();
  }
}
