// What the worker makes from the current weights: samples streamed to the page, and the
// exported files.
import { DEFAULT_SAMPLE_OPTIONS, generate, type SampleOptions } from '../../lib/generate/generate.ts';
import { exportBundle, exportSafetensors } from '../../lib/model/export.ts';
import type { ModelCardInfo } from '../../lib/model/model-card.ts';
import type { ExportedFile } from './protocol.ts';
import type { SessionCore } from './state.ts';

/** Starts sampling for request `id` and returns; the samples stream in its events, then 'sample-end'. */
export function sample(core: SessionCore, id: number, prompt: string, options: Partial<SampleOptions>): void {
  if (core.training) throw new Error('pause training to sample from the current weights');
  const model = core.loaded();
  const ctl = new AbortController();
  core.samplers.set(id, ctl);
  // Not awaited: stop-sample and other messages must get through while it streams.
  void (async () => {
    try {
      for await (const e of generate(model.lm, model.base.tok, prompt, { ...DEFAULT_SAMPLE_OPTIONS, ...options }, ctl.signal)) {
        core.emit({ type: 'sample', id, sample: e.sample, text: e.text, done: e.done });
      }
    } catch (e) {
      if (!ctl.signal.aborted) core.emit({ type: 'error', during: 'sample', id, message: (e as Error).message });
    } finally {
      core.samplers.delete(id);
      const why: unknown = ctl.signal.reason;
      core.emit({ type: 'sample-end', id, stopped: typeof why === 'string' ? why : undefined });
    }
  })();
}

export async function exportModel(core: SessionCore, kind: 'weights' | 'bundle', card?: ModelCardInfo): Promise<ExportedFile> {
  if (core.training) throw new Error('pause training to export the current weights');
  const model = core.loaded();
  if (kind === 'weights') return { kind, bytes: await exportSafetensors(model.lm), filename: 'model.safetensors' };
  if (!card) throw new Error('a bundle needs model card information');
  return { kind, bytes: await exportBundle(model.lm, model.base.files.tokenizerFiles, card), filename: `${card.modelName ?? 'tweetforge-model'}.zip` };
}
