// The model and tokenizer of a folder for `score` and `generate`: GPT-2 folders through
// GPT-2's own loader (config.json, model.safetensors, vocab.json, merges.txt), Llama- and
// Qwen2-family folders through the family registry (model.safetensors or shards, tokenizer.json).
import fs from 'node:fs/promises';
import path from 'node:path';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { familyOf } from '../../src/lib/model/families.ts';
import { parseJsonFile } from '../../src/lib/model/hf-folder.ts';
import type { ByteLevelBPE } from '../../src/lib/tokenizer/byte-level-bpe.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { loadModelDir } from '../fixtures/model-dir.ts';
import { loadHFDir } from '../fixtures/hf-dir.ts';
import { loadTokenizerDir } from '../fixtures/tokenizer-dir.ts';

export interface CliModel {
  model: CausalLM;
  tok: ByteLevelBPE;
}

/** Loads `dir`, refusing in one line what it cannot run; the caller disposes the model. */
export async function loadCliModel(dir: string): Promise<CliModel> {
  let configText: string;
  try {
    configText = await fs.readFile(path.join(dir, 'config.json'), 'utf8');
  } catch {
    throw new Error(`model folder ${dir} has no config.json`);
  }
  const family = familyOf(parseJsonFile('config.json', configText));
  if (family.modelType === 'gpt2') {
    const files = await loadModelDir(dir);
    const tok = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt);
    return { model: GPT2.fromWeights(files.config, files.weights), tok };
  }
  const folder = await loadHFDir(dir);
  if (folder.tokenizerFiles['tokenizer.json'] === undefined) throw new Error(`model folder ${dir} has no tokenizer.json`);
  const tok = await loadTokenizerDir(dir);
  return { model: CausalLM.fromWeights(folder.family, folder.config, folder.weights), tok };
}
