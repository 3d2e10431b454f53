// Loading a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json,
// merges.txt) from bytes, whatever their source: HTTP (with a Cache Storage copy),
// files a person picked or dropped, or a directory on disk (Node, scripts/fixtures/model-dir.ts).
import { parseConfig, type GPT2Config } from './config.ts';
import { normalizeWeights } from './params.ts';
import { readSafetensors, type TensorData } from './safetensors.ts';

export interface ModelFiles {
  config: GPT2Config;
  /** Parameters by HF name without prefix, checked against the config's shapes. */
  weights: Map<string, TensorData>;
  vocabJson: string;
  mergesTxt: string;
}

export const MODEL_FILE_NAMES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'] as const;
export type ModelFileName = (typeof MODEL_FILE_NAMES)[number];

/** Parses and cross-checks the four files of a model folder; errors name the file at fault. */
export function modelFilesFromBytes(parts: {
  configJson: string;
  safetensors: ArrayBuffer | Uint8Array;
  vocabJson: string;
  mergesTxt: string;
}): ModelFiles {
  let json: unknown;
  try {
    json = JSON.parse(parts.configJson);
  } catch (e) {
    throw new Error(`config.json is not valid JSON (${(e as Error).message})`);
  }
  const config = parseConfig(json);
  // The causal-mask buffers are constants (and 4 MB per layer at n_positions 1024): skip decoding them.
  const raw = readSafetensors(parts.safetensors, { include: (n) => !/\.attn\.(bias|masked_bias)$/.test(n) });
  const weights = normalizeWeights(config, raw);
  let vocab: unknown;
  try {
    vocab = JSON.parse(parts.vocabJson);
  } catch (e) {
    throw new Error(`vocab.json is not valid JSON (${(e as Error).message})`);
  }
  const vocabSize = vocab && typeof vocab === 'object' ? Object.keys(vocab).length : 0;
  if (vocabSize === 0) throw new Error('vocab.json: expected an object mapping tokens to ids');
  if (vocabSize > config.vocab_size) {
    throw new Error(`vocab.json has ${vocabSize} tokens but config.json's vocab_size is ${config.vocab_size}`);
  }
  if (!parts.mergesTxt.includes(' ')) throw new Error('merges.txt: no merges found (expected lines "a b")');
  return { config, weights, vocabJson: parts.vocabJson, mergesTxt: parts.mergesTxt };
}
