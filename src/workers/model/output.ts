// What the worker makes from the current weights: samples streamed to the page, and the
// exported files.
import { DEFAULT_SAMPLE_OPTIONS, generate, type SampleOptions } from '../../lib/generate/generate.ts';
import { exportBundle, exportSafetensors } from '../../lib/model/export.ts';
import type { CardLora, ModelCardInfo } from '../../lib/model/model-card.ts';
import type { CausalLM } from '../../lib/model/causal-lm.ts';
import type { ExtraFiles } from '../../lib/model/export.ts';
import { LoraAdapters } from '../../lib/lora/adapters.ts';
import { peftAdapterFiles } from '../../lib/lora/peft.ts';
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
  const { extra, lora } = await adapterFiles(model.lm, card.baseModel);
  const bytes = await exportBundle(model.lm, model.base.files.tokenizerFiles, lora ? { ...card, lora } : card, extra);
  return { kind, bytes, filename: `${card.modelName ?? 'tweetforge-model'}.zip` };
}

/** Where a bundle keeps a LoRA run's adapter: beside, not at, the root, so from_pretrained(folder) reads the merged weights even with PEFT installed (an adapter_config.json at the root would make transformers load the base from the Hub and the adapter on it). */
export const ADAPTER_DIR = 'adapter';

/** A LoRA run's adapter in PEFT's layout (base_model_name_or_path: the card's base), and what the card says of it; none without adapters. */
async function adapterFiles(lm: CausalLM, baseModel: string): Promise<{ extra?: ExtraFiles; lora?: CardLora }> {
  const a = lm.adapters;
  if (!(a instanceof LoraAdapters)) return {};
  const files = await peftAdapterFiles(a, baseModel);
  const extra = Object.fromEntries(Object.entries(files).map(([name, body]) => [`${ADAPTER_DIR}/${name}`, body]));
  const { r, alpha, dropout, targets } = a.config;
  return { extra, lora: { r, alpha, dropout, targets: [...targets], adapterDir: ADAPTER_DIR } };
}
