// Export: the fine-tuned weights as the model.safetensors that transformers'
// save_pretrained writes for the family's CausalLM class, and a zip bundle that is a complete
// Hugging Face model folder (config, generation config, tokenizer files, model card, weights),
// for every family.
//
// save_pretrained's file:
// - GPT2LMHeadModel (checked against transformers 4.4x output): names carry the `transformer.`
//   prefix (the GPT2Model inside); lm_head.weight is tied to transformer.wte.weight and is not
//   written (it is in _tied_weights_keys; the loader re-ties it); attn.bias / attn.masked_bias
//   are non-persistent buffers and are not written.
// - LlamaForCausalLM / Qwen2ForCausalLM (from modeling_llama.py / modeling_qwen2.py): names
//   carry the `model.` prefix (the LlamaModel / Qwen2Model inside); lm_head.weight is written
//   only when the head is untied (tied, it is in _tied_weights_keys as for GPT-2); the rotary
//   inv_freq is registered with persistent=False and is not written.
// - header `__metadata__` is {"format": "pt"}; tensors sorted by name (safetensors' Rust
//   serializer sorts by dtype, then name; all ours are F32).
// The tensor names and order are the family's (its toHF); the other files, export-files.ts'.
import { zipSync, strToU8, type Zippable } from 'fflate';
import type { CausalLM, WeightTensor } from './causal-lm.ts';
import type { ModelFamily } from './family.ts';
import type { GPT2Config } from './gpt2/config.ts';
import type { LlamaConfig } from './llama/config.ts';
import { writeSafetensors } from './safetensors.ts';
import { modelCard, type ModelCardInfo } from './model-card.ts';
import { gpt2Files, llamaFiles, type FolderFile } from './export-files.ts';

export { exportConfig, generationConfig, tokenizerConfig, SPECIAL_TOKENS_MAP, TEXT_GENERATION_PARAMS } from './export-files.ts';

/** model.safetensors from logical parameters: the family's save_pretrained names and order. */
export function safetensorsOf<C>(family: ModelFamily<C>, config: C, weights: Map<string, WeightTensor>): Uint8Array {
  return writeSafetensors(family.toHF(config, weights), { format: 'pt' });
}

/** model.safetensors as save_pretrained writes it: the family's names and order (see the file comment). */
export async function exportSafetensors(model: CausalLM): Promise<Uint8Array> {
  const weights = await model.exportWeights(); // GPU read-back of every parameter
  return safetensorsOf(model.family, model.config, weights);
}

/** The architecture a card names, by model_type. */
const ARCHITECTURE_NAMES: Readonly<Record<string, string>> = { gpt2: 'GPT-2', llama: 'Llama', qwen2: 'Qwen2' };

/** The tokenizer's files as loaded, by name: the family's (GPT-2: vocab.json, merges.txt; Llama/Qwen2: tokenizer.json, tokenizer_config.json). */
export type TokenizerTexts = Readonly<Record<string, string>>;

/** What a bundle is made of; the base's Hub id (or where it came from) is the card's baseModel. */
export interface BundleInput {
  family: ModelFamily;
  /** The family's parsed config (family.parseConfig). */
  config: unknown;
  /** Every parameter by logical name (CausalLM.exportWeights, or a loaded folder's weights). */
  weights: Map<string, WeightTensor>;
  tokenizerFiles: TokenizerTexts;
  card: ModelCardInfo;
  /** More files in the folder (a LoRA run's PEFT adapter, in adapter/); they may not replace the folder's own. */
  extraFiles?: ExtraFiles;
}

/** Files a bundle adds, by path ('name' or 'folder/name'): text (UTF-8) or bytes (stored uncompressed). */
export type ExtraFiles = Readonly<Record<string, string | Uint8Array>>;

/** The end-of-text token's text, as the family's tokenizer finds it in its files (tweets were separated by it). */
function eotText(family: ModelFamily, files: TokenizerTexts): string {
  const tok = family.tokenizer(files);
  return tok.decode([tok.eotId]);
}

/** Refuses an export without the tokenizer's files (tokenizer_config.json is optional: the loader's rule). */
function checkTokenizerFiles(family: ModelFamily, files: TokenizerTexts): void {
  const missing = family.tokenizerFiles.find((n) => n !== 'tokenizer_config.json' && typeof files[n] !== 'string');
  if (missing) throw new Error(`export: the model's ${missing} is not loaded, so the bundle would have no tokenizer`);
}

/** The folder's files before the card and the weights; the card's separator. */
function familyFiles(family: ModelFamily, config: unknown, files: TokenizerTexts): { files: FolderFile[]; eot: string } {
  checkTokenizerFiles(family, files);
  switch (family.modelType) {
    case 'gpt2':
      return { files: gpt2Files(config as GPT2Config, files), eot: '<|endoftext|>' };
    case 'llama':
    case 'qwen2': {
      const eot = eotText(family, files);
      return { files: llamaFiles(config as LlamaConfig, files, eot), eot };
    }
    default:
      throw new Error(`export: model_type "${family.modelType}" has no export`);
  }
}

/**
 * The bundle: a zip whose root is a Hugging Face model folder. Weights are stored
 * uncompressed (float noise does not deflate, and a 330 MB deflate would stall a tab).
 */
export function bundleOf(input: BundleInput): Uint8Array {
  const { family, config, tokenizerFiles, card } = input;
  return zipFolder(family, config, safetensorsOf(family, config, input.weights), tokenizerFiles, card, input.extraFiles);
}

function zipFolder(family: ModelFamily, config: unknown, safetensors: Uint8Array, tokenizerFiles: TokenizerTexts, info: ModelCardInfo, extra: ExtraFiles = {}): Uint8Array {
  const { files, eot } = familyFiles(family, config, tokenizerFiles);
  const card: ModelCardInfo = {
    ...info,
    architecture: info.architecture ?? ARCHITECTURE_NAMES[family.modelType],
    separator: info.separator ?? eot,
  };
  const entries: Zippable = Object.fromEntries(files);
  entries['README.md'] = strToU8(modelCard(card));
  entries['model.safetensors'] = [safetensors, { level: 0 }];
  for (const [name, body] of Object.entries(extra)) {
    if (Object.hasOwn(entries, name) || !/^(?:[\w.-]{1,100}\/)?[\w.-]{1,100}$/.test(name)) throw new Error(`export: an extra file may not be named ${JSON.stringify(name).slice(0, 60)}`);
    entries[name] = typeof body === 'string' ? strToU8(body) : [body, { level: 0 }];
  }
  return zipSync(entries, { level: 6 });
}

/**
 * The bundle of a model's current weights (a GPU read-back), for any family. The weights read
 * back are dropped once written into model.safetensors, so the zip is made beside two copies of
 * the model, not three (Qwen2.5-0.5B: 2 GB each).
 */
export async function exportBundle(model: CausalLM, tokenizerFiles: TokenizerTexts, card: ModelCardInfo, extraFiles?: ExtraFiles): Promise<Uint8Array> {
  checkTokenizerFiles(model.family, tokenizerFiles); // before the read-back
  return zipFolder(model.family, model.config, await exportSafetensors(model), tokenizerFiles, card, extraFiles);
}
