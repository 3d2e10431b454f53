// GPT-2 as a model family: its config, parameter table, forward pieces, Hugging Face names and
// tokenizer behind the ModelFamily interface (family.ts). `GPT2.fromWeights` builds a
// CausalLM of this family, the model every GPT-2 checkpoint (gpt2, distilgpt2, ...) becomes.
import type { ModelFamily } from '../family.ts';
import { CausalLM, type ModelOptions } from '../causal-lm.ts';
import type { WeightTensor } from '../parameters.ts';
import { GPT2Tokenizer } from '../../tokenizer/bpe.ts';
import { gpt2Dims, parseConfig, type GPT2Config } from './config.ts';
import { normalizeWeights, paramTable, toHF } from './params.ts';
import { block, embed, final, pieceParams } from './forward.ts';

export type { GPT2Config } from './config.ts';
export { parseConfig, innerSize } from './config.ts';
export { paramTable, paramCount } from './params.ts';

export const gpt2Family: ModelFamily<GPT2Config, GPT2Tokenizer> = {
  modelType: 'gpt2',
  parseConfig,
  dims: gpt2Dims,
  paramTable,
  pieceParams,
  embed,
  block,
  final,
  headTable: () => 'wte.weight', // the head is tied to the token embedding
  fromHF: normalizeWeights,
  toHF: (_config, weights) => toHF(weights),
  tokenizerFiles: ['vocab.json', 'merges.txt'],
  tokenizer: (files) => GPT2Tokenizer.fromFiles(files['vocab.json'], files['merges.txt']),
};

/** A GPT-2-family model. */
export type GPT2 = CausalLM<GPT2Config>;

export const GPT2 = {
  /**
   * Builds a model from weights keyed by HF names, with or without `transformer.`;
   * attn.bias/masked_bias buffers are ignored and lm_head.weight (tied) is optional.
   */
  fromWeights(config: GPT2Config, weights: Map<string, WeightTensor>, opts: ModelOptions = {}): GPT2 {
    return CausalLM.fromWeights(gpt2Family, config, weights, opts);
  },
};
