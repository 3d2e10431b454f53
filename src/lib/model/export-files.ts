// The files of an exported model folder besides the weights and the card, per family: what
// transformers' AutoModelForCausalLM / AutoTokenizer read back (config.json,
// generation_config.json, the tokenizer's files). Both families' folders carry the page's
// sampling, so `pipeline('text-generation', folder)` samples as the page does.
import { strToU8 } from 'fflate';
import type { GPT2Config } from './gpt2/config.ts';
import type { LlamaConfig } from './llama/config.ts';
import { DEFAULT_SAMPLE_OPTIONS } from './sampling.ts';

/** One file of the folder: its name and bytes. */
export type FolderFile = readonly [name: string, bytes: Uint8Array];

const GPT2_EOT = '<|endoftext|>';

/**
 * Sampling as the page does it. huggingtweets' configs shipped the same in
 * task_specific_params['text-generation'] (the pipeline applies it, `prefix` included), but
 * as max_length/min_length, which count the prompt; new-token counts are what the page means,
 * and setting both kinds makes transformers warn, so only the new-token ones are written.
 */
const D = DEFAULT_SAMPLE_OPTIONS;
export const HF_SAMPLING = {
  do_sample: true,
  max_new_tokens: D.maxNewTokens,
  min_new_tokens: D.minNewTokens,
  temperature: D.temperature,
  top_k: D.topK,
  top_p: D.topP,
} as const;

/** The pipeline's settings: the page's sampling, and its end-of-text prefix before the prompt. */
export const TEXT_GENERATION_PARAMS = { ...HF_SAMPLING, prefix: GPT2_EOT } as const;

export const json = (o: unknown): Uint8Array => strToU8(JSON.stringify(o, null, 2) + '\n');

/** config.json of an exported GPT-2: the loaded config, marked as a GPT2LMHeadModel. */
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
    bos_token: GPT2_EOT,
    eos_token: GPT2_EOT,
    unk_token: GPT2_EOT,
    errors: 'replace',
    model_max_length: config.n_positions,
    tokenizer_class: 'GPT2Tokenizer',
  };
}

export const SPECIAL_TOKENS_MAP = { bos_token: GPT2_EOT, eos_token: GPT2_EOT, unk_token: GPT2_EOT } as const;

/** GPT-2's folder: vocab.json and merges.txt as loaded, its tokenizer settings written for them. */
export function gpt2Files(config: GPT2Config, tokenizer: Readonly<Record<string, string>>): FolderFile[] {
  return [
    ['config.json', json(exportConfig(config))],
    ['generation_config.json', json(generationConfig(config))],
    ['vocab.json', strToU8(tokenizer['vocab.json'])],
    ['merges.txt', strToU8(tokenizer['merges.txt'])],
    ['tokenizer_config.json', json(tokenizerConfig(config))],
    ['special_tokens_map.json', json(SPECIAL_TOKENS_MAP)],
  ];
}

/** What a Llama / Qwen2 model's transformers class is called (config.json's architectures). */
export const LLAMA_ARCHITECTURES = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;

/**
 * Fields parseLlamaConfig derives for this app's forward pass, which transformers' configs do not
 * have (mlp_bias, which LlamaConfig has, stays: parsed, it is the loaded value).
 */
const DERIVED_FIELDS = new Set(['qkv_bias', 'o_bias']);

/**
 * config.json of an exported Llama / Qwen2: every field of the loaded config (Hugging Face's
 * defaults filled in), marked as the family's CausalLM class, float32 as the weights are
 * written, with the pipeline's sampling and `eot` as its prefix.
 */
export function llamaExportConfig(config: LlamaConfig, eot: string): Record<string, unknown> {
  const fields = Object.fromEntries(Object.entries(config).filter(([k]) => !DERIVED_FIELDS.has(k)));
  return {
    ...fields,
    architectures: [LLAMA_ARCHITECTURES[config.model_type]],
    model_type: config.model_type,
    torch_dtype: 'float32',
    // transformers 4.56+ names the field `dtype`; a config that has it says float32 there too.
    ...('dtype' in fields ? { dtype: 'float32' } : {}),
    task_specific_params: { 'text-generation': { ...HF_SAMPLING, prefix: eot } },
  };
}

/** generation_config.json: the config's bos/eos (where it names them) and the page's sampling. */
export function llamaGenerationConfig(config: LlamaConfig): Record<string, unknown> {
  return {
    _from_model_config: true,
    ...(config.bos_token_id !== undefined ? { bos_token_id: config.bos_token_id } : {}),
    ...(config.eos_token_id !== undefined ? { eos_token_id: config.eos_token_id } : {}),
    ...HF_SAMPLING,
  };
}

/** A Llama / Qwen2 folder: tokenizer.json and tokenizer_config.json as loaded, byte for byte. */
export function llamaFiles(config: LlamaConfig, tokenizer: Readonly<Record<string, string>>, eot: string): FolderFile[] {
  const files: FolderFile[] = [
    ['config.json', json(llamaExportConfig(config, eot))],
    ['generation_config.json', json(llamaGenerationConfig(config))],
  ];
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
    if (tokenizer[name] !== undefined) files.push([name, strToU8(tokenizer[name])]);
  }
  return files;
}
