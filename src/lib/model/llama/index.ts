// Llama and Qwen2 as model families (family.ts). Qwen2 is Llama with q/k/v biases (and no
// o_proj or MLP biases), which its parsed config already says; so the two differ only in the
// model_type they accept. Both read tokenizer.json (+ tokenizer_config.json for eos_token).
import type { ModelFamily } from '../family.ts';
import { TokenizerJsonBPE } from '../../tokenizer/tokenizer-json.ts';
import { llamaDims, parseLlamaConfig, type LlamaConfig } from './config.ts';
import { fromHF, paramTable, toHF } from './params.ts';
import { block, embed, final, headTable, pieceParams } from './forward.ts';

export type { LlamaConfig } from './config.ts';
export { parseLlamaConfig } from './config.ts';
export { paramTable, paramCount } from './params.ts';

function llamaLike(modelType: 'llama' | 'qwen2'): ModelFamily<LlamaConfig, TokenizerJsonBPE> {
  return {
    modelType,
    parseConfig: (json) => parseLlamaConfig(json, modelType),
    dims: llamaDims,
    paramTable,
    pieceParams,
    embed,
    block,
    final,
    headTable,
    fromHF,
    toHF: (_c, weights) => toHF(weights),
    tokenizerFiles: ['tokenizer.json', 'tokenizer_config.json'],
    tokenizer: (files) => TokenizerJsonBPE.fromFiles(files['tokenizer.json'], files['tokenizer_config.json']),
  };
}

export const llamaFamily = llamaLike('llama');
export const qwen2Family = llamaLike('qwen2');
