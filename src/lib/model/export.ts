// Export: the fine-tuned weights as the model.safetensors that transformers'
// GPT2LMHeadModel.save_pretrained writes, and a zip bundle that is a complete Hugging Face
// model folder (config, generation config, tokenizer files, model card, weights).
//
// save_pretrained's file, as checked against transformers 4.4x output:
// - names carry the `transformer.` prefix (the GPT2Model inside GPT2LMHeadModel);
// - lm_head.weight is tied to transformer.wte.weight and is not written (it is in
//   _tied_weights_keys; the loader re-ties it);
// - attn.bias / attn.masked_bias are non-persistent buffers and are not written;
// - header `__metadata__` is {"format": "pt"}; tensors sorted by name (safetensors' Rust
//   serializer sorts by dtype, then name; all ours are F32).
// The tensor names and order are the family's (gpt2/params.ts' toHF); config.json, the
// generation config and the tokenizer files below are GPT-2's.
import { zipSync, strToU8, type Zippable } from 'fflate';
import type { CausalLM } from './causal-lm.ts';
import type { GPT2 } from './gpt2/index.ts';
import type { GPT2Config } from './gpt2/config.ts';
import { writeSafetensors } from './safetensors.ts';
import { modelCard, type ModelCardInfo } from './model-card.ts';
import { DEFAULT_SAMPLE_OPTIONS } from './sampling.ts';

const EOT = '<|endoftext|>';

/** model.safetensors as save_pretrained writes it: the family's names and order (see the file comment). */
export async function exportSafetensors(model: CausalLM): Promise<Uint8Array> {
  const weights = await model.exportWeights(); // GPU read-back of every parameter
  return writeSafetensors(model.family.toHF(model.config, weights), { format: 'pt' });
}

/**
 * Sampling as the page does it. huggingtweets' configs shipped the same in
 * task_specific_params['text-generation'] (the pipeline applies it, `prefix` included), but
 * as max_length/min_length, which count the prompt; new-token counts are what the page means,
 * and setting both kinds makes transformers warn, so only the new-token ones are written.
 */
const D = DEFAULT_SAMPLE_OPTIONS;
const HF_SAMPLING = {
  do_sample: true,
  max_new_tokens: D.maxNewTokens,
  min_new_tokens: D.minNewTokens,
  temperature: D.temperature,
  top_k: D.topK,
  top_p: D.topP,
} as const;

export const TEXT_GENERATION_PARAMS = { ...HF_SAMPLING, prefix: EOT } as const;

/** config.json of the exported model: the loaded config, marked as a GPT2LMHeadModel. */
export function exportConfig(config: GPT2Config): Record<string, unknown> {
  return {
    ...config,
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    bos_token_id: config.bos_token_id ?? 50256,
    eos_token_id: config.eos_token_id ?? 50256,
    task_specific_params: { 'text-generation': { ...TEXT_GENERATION_PARAMS } },
  };
}

export function generationConfig(config: GPT2Config): Record<string, unknown> {
  return {
    _from_model_config: true,
    bos_token_id: config.bos_token_id ?? 50256,
    eos_token_id: config.eos_token_id ?? 50256,
    ...HF_SAMPLING,
  };
}

/** transformers' GPT2Tokenizer settings for GPT-2's files (as the Hub's gpt2 repo). */
export function tokenizerConfig(config: GPT2Config): Record<string, unknown> {
  return {
    add_prefix_space: false,
    bos_token: EOT,
    eos_token: EOT,
    unk_token: EOT,
    errors: 'replace',
    model_max_length: config.n_positions,
    tokenizer_class: 'GPT2Tokenizer',
  };
}

export const SPECIAL_TOKENS_MAP = { bos_token: EOT, eos_token: EOT, unk_token: EOT } as const;

const json = (o: unknown) => strToU8(JSON.stringify(o, null, 2) + '\n');

/**
 * The bundle: a zip whose root is a Hugging Face model folder. Weights are stored
 * uncompressed (float noise does not deflate, and a 330 MB deflate would stall a tab).
 */
export async function exportBundle(
  model: GPT2,
  files: { vocabJson: string; mergesTxt: string },
  card: ModelCardInfo,
): Promise<Uint8Array> {
  const weights = await exportSafetensors(model);
  const entries: Zippable = {
    'config.json': json(exportConfig(model.config)),
    'generation_config.json': json(generationConfig(model.config)),
    'vocab.json': strToU8(files.vocabJson),
    'merges.txt': strToU8(files.mergesTxt),
    'tokenizer_config.json': json(tokenizerConfig(model.config)),
    'special_tokens_map.json': json(SPECIAL_TOKENS_MAP),
    'README.md': strToU8(modelCard(card)),
    'model.safetensors': [weights, { level: 0 }],
  };
  return zipSync(entries, { level: 6 });
}
