// Builds the tokenizer that posted tables describe, whichever kind made them: a pool's workers
// get GPT-2's tables (vocab.json + merges.txt) or a tokenizer.json's alike.
import { GPT2Tokenizer } from './bpe.ts';
import type { ByteLevelBPE, TokenizerTables } from './byte-level-bpe.ts';
import { TokenizerJsonBPE } from './tokenizer-json.ts';

export function tokenizerFromTables(tables: TokenizerTables): ByteLevelBPE {
  return tables.pipeline ? TokenizerJsonBPE.fromTables(tables) : GPT2Tokenizer.fromTables(tables);
}
