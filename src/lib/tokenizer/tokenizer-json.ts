/**
 * A Hugging Face tokenizer.json's byte-level BPE (Qwen2, SmolLM2 and other Llama-family models):
 * the same merges, merge cache and decoding as GPT-2's (byte-level-bpe.ts), with the file's own
 * normalizer and pre-tokenizers (pipeline.ts) as step 1.
 *
 * Added tokens (Qwen2.5's <|endoftext|> = 151643, <|im_start|>, ...) keep their ids, so the
 * corpus can insert the end-of-text id between tweets and decode shows them as their text (as
 * GPT-2's decode shows 50256), but they are never parsed out of text: "<|im_start|>" typed in a
 * tweet is ordinary characters, encoded by BPE like any other (docs/design.md).
 */

import { bytesToUnicode } from './bpe.ts';
import { ByteLevelBPE, tablesProblem, type TokenizerTables } from './byte-level-bpe.ts';
import type { IdBuffer } from './id-buffer.ts';
import { normalize, parseNormalizer, parsePreTokenizer, stageFunction, type PieceEnd, type PipelineSpec } from './pipeline.ts';

/** Bounds on what a tokenizer.json may declare, checked before anything is allocated for it. */
const MAX_FILE_CHARS = 128 * 2 ** 20;
const MAX_ID = 2 ** 21;
const MAX_TOKEN_CHARS = 4096;

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

export class TokenizerJsonBPE extends ByteLevelBPE {
  /** tokenizer_config.json's eos_token (Qwen2.5-Instruct: <|im_end|>); eotId where it names none. */
  readonly eosId: number;
  private readonly pipeline: PipelineSpec;
  private readonly stages: PieceEnd[];
  /** Where each stage's current piece ends (bounds[0]: the text's end); see encodeInto. */
  private readonly bounds: Int32Array;

  private constructor(tables: TokenizerTables & { pipeline: PipelineSpec }) {
    super(tables);
    this.pipeline = tables.pipeline;
    this.eosId = tables.pipeline.eosId;
    this.stages = tables.pipeline.stages.map(stageFunction);
    this.bounds = new Int32Array(this.stages.length + 1);
  }

  /** tokenizer.json (+ tokenizer_config.json, for eos_token) text -> tokenizer; one readable line when they do not fit. */
  static fromFiles(tokenizerJson: string, tokenizerConfigJson?: string): TokenizerJsonBPE {
    return new TokenizerJsonBPE(buildTables(tokenizerJson, tokenizerConfigJson));
  }

  /** The tables of another tokenizer (e.g. posted to a worker) -> the same tokenizer. */
  static fromTables(tables: TokenizerTables): TokenizerJsonBPE {
    const problem = tablesProblem(tables) ?? pipelineProblem(tables);
    if (problem) throw new Error(problem);
    return new TokenizerJsonBPE(tables as TokenizerTables & { pipeline: PipelineSpec });
  }

  /** Appends the ids of `text` to `out`; returns how many it appended. */
  encodeInto(text: string, out: IdBuffer): number {
    const first = out.length;
    const { normalizers, prefixSpace } = this.pipeline;
    if (normalizers.length > 0) text = normalize(text, normalizers);
    if (prefixSpace && text.length > 0 && text.charCodeAt(0) !== 0x20) text = ' ' + text;
    const n = text.length, stages = this.stages;
    if (stages.length === 1) {
      const pieceEnd = stages[0];
      for (let start = 0; start < n; ) {
        const end = pieceEnd(text, start, n);
        this.encodePiece(text, start, end, out);
        start = end;
      }
    } else if (stages.length === 0) {
      if (n > 0) this.encodePiece(text, 0, n, out);
    } else {
      // Each stage cuts the piece the stage before it left: bounds[k + 1] is where stage k's
      // current piece ends. At each position, the stages whose piece is used up cut anew, from
      // the first of them down (a stage's piece never outlasts the one it lies in).
      const bounds = this.bounds;
      bounds.fill(0);
      bounds[0] = n;
      for (let pos = 0; pos < n; ) {
        let k = 0;
        while (k < stages.length && bounds[k + 1] > pos) k++;
        for (; k < stages.length; k++) bounds[k + 1] = stages[k](text, pos, bounds[k]);
        const end = bounds[stages.length];
        this.encodePiece(text, pos, end, out);
        pos = end;
      }
    }
    return out.length - first;
  }
}

/** Why a posted pipeline cannot be used, or undefined. */
function pipelineProblem(tables: TokenizerTables): string | undefined {
  const p = tables.pipeline;
  const ok = p !== undefined && Array.isArray(p.normalizers) && Array.isArray(p.stages) &&
    Number.isInteger(p.eosId) && p.eosId >= 0 && p.eosId < tables.tokenLengths.length && tables.tokenLengths[p.eosId] >= 0;
  if (!ok) return 'tokenizer tables are inconsistent (no tokenizer.json pipeline)';
  try {
    p.stages.forEach(stageFunction);
  } catch (e) {
    return `tokenizer tables are inconsistent (${(e as Error).message})`;
  }
  return undefined;
}

function parseJson(text: string, name: string): unknown {
  if (text.length > MAX_FILE_CHARS) throw new Error(`${name} is over ${MAX_FILE_CHARS / 2 ** 20} MB`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${name} is not JSON: ${(e as Error).message}`);
  }
}

/** tokenizer_config.json's eos_token: a string, or an added-token object with `content`. */
function eosTokenOf(configJson: string | undefined): string | undefined {
  if (configJson === undefined) return undefined;
  const config = parseJson(configJson, 'tokenizer_config.json');
  if (!isObject(config)) throw new Error('tokenizer_config.json must be an object');
  const eos = isObject(config.eos_token) ? config.eos_token.content : config.eos_token;
  if (eos === undefined || eos === null) return undefined;
  if (typeof eos !== 'string') throw new Error('tokenizer_config.json: eos_token must be a string');
  return eos;
}

/** The file's model section, checked: a plain byte-level BPE. */
function bpeModel(file: Json): { vocab: Json; merges: unknown[] } {
  const model = file.model;
  if (!isObject(model)) throw new Error('tokenizer.json has no "model" object');
  if (model.type !== undefined && model.type !== 'BPE') throw new Error(`tokenizer.json: model type ${JSON.stringify(model.type)} is not supported (BPE)`);
  const refused: [boolean, string][] = [
    [model.byte_fallback === true, 'byte_fallback'],
    [typeof model.dropout === 'number' && model.dropout > 0, 'dropout'],
    [!!model.continuing_subword_prefix, 'continuing_subword_prefix'],
    [!!model.end_of_word_suffix, 'end_of_word_suffix'],
    [model.ignore_merges === true, 'ignore_merges'],
  ];
  for (const [yes, what] of refused) if (yes) throw new Error(`tokenizer.json: the BPE model's ${what} is not supported`);
  if (!isObject(model.vocab)) throw new Error('tokenizer.json: model.vocab must be an object mapping tokens to ids');
  if (!Array.isArray(model.merges)) throw new Error('tokenizer.json: model.merges must be a list');
  return { vocab: model.vocab, merges: model.merges };
}

/** The file's added tokens, checked: [content, id]. */
function addedTokens(file: Json): [string, number][] {
  const list = file.added_tokens ?? [];
  if (!Array.isArray(list) || list.length > MAX_ID) throw new Error('tokenizer.json: "added_tokens" must be a list');
  return list.map((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || t.content.length === 0 || t.content.length > MAX_TOKEN_CHARS) {
      throw new Error(`tokenizer.json: added token ${i + 1} needs a non-empty "content" of at most ${MAX_TOKEN_CHARS} characters`);
    }
    return [t.content, checkId(t.id, `added token ${JSON.stringify(t.content)}`)];
  });
}

function checkId(id: unknown, what: string): number {
  if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= MAX_ID) {
    throw new Error(`tokenizer.json: the id of ${what} is not a whole number in 0..${MAX_ID - 1}`);
  }
  return id as number;
}

const UTF8 = new TextEncoder();
/** Byte-level character (a UTF-16 unit below 0x144) -> the byte it stands for; -1: none. */
const CHAR_BYTES = new Int16Array(0x144).fill(-1);
bytesToUnicode().forEach((ch, b) => (CHAR_BYTES[ch.charCodeAt(0)] = b));

/** A vocabulary token's bytes: each character one byte (bytesToUnicode), or, where any is not, its UTF-8. */
function spelling(token: string): Uint8Array {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < 0x144 ? CHAR_BYTES[c] : -1;
    if (b < 0) return UTF8.encode(token);
    bytes[i] = b;
  }
  return bytes;
}

/** tokenizer.json (+ tokenizer_config.json) -> the tables, with a readable error for what does not fit. */
function buildTables(tokenizerJson: string, configJson: string | undefined): TokenizerTables & { pipeline: PipelineSpec } {
  const file = parseJson(tokenizerJson, 'tokenizer.json');
  if (!isObject(file)) throw new Error('tokenizer.json must be an object');
  const { vocab, merges } = bpeModel(file);
  const decoder = file.decoder;
  if (!isObject(decoder) || decoder.type !== 'ByteLevel') {
    throw new Error(`tokenizer.json: decoder type ${JSON.stringify(isObject(decoder) ? decoder.type : decoder)} is not supported (ByteLevel)`);
  }
  const normalizers = parseNormalizer(file.normalizer);
  const { stages, prefixSpace } = parsePreTokenizer(file.pre_tokenizer);

  // id -> token, vocabulary first, then added tokens (spelled literally: their UTF-8 is their text).
  const added = addedTokens(file);
  let maxId = -1, count = 0;
  const ids = new Map<string, number>();
  for (const token in vocab) {
    if (++count > MAX_ID) throw new Error(`tokenizer.json: the vocabulary has over ${MAX_ID} tokens`);
    const id = checkId(vocab[token], JSON.stringify(token));
    ids.set(token, id);
    if (id > maxId) maxId = id;
  }
  for (const [, id] of added) maxId = Math.max(maxId, id);
  const byteChars = bytesToUnicode();
  const spelled: (Uint8Array | undefined)[] = new Array(maxId + 1);
  for (const [token, id] of ids) {
    if (spelled[id]) throw new Error(`tokenizer.json: id ${id} is given to two tokens of the vocabulary`);
    spelled[id] = spelling(token);
  }
  const addedIds = new Map<string, number>();
  for (const [content, id] of added) {
    spelled[id] = UTF8.encode(content);
    addedIds.set(content, id);
  }
  let totalBytes = 0;
  const tokenLengths = new Int32Array(maxId + 1).fill(-1);
  for (let id = 0; id <= maxId; id++) if (spelled[id]) totalBytes += tokenLengths[id] = spelled[id]!.length;
  const tokenBytes = new Uint8Array(totalBytes);
  for (let id = 0, at = 0; id <= maxId; id++) {
    if (!spelled[id]) continue;
    tokenBytes.set(spelled[id]!, at);
    at += spelled[id]!.length;
  }

  const byteIds = new Int32Array(256);
  byteChars.forEach((ch, b) => {
    const id = ids.get(ch);
    if (id === undefined) throw new Error(`tokenizer.json: the vocabulary lacks the single-byte token for byte ${b} (${JSON.stringify(ch)})`);
    byteIds[b] = id;
  });
  if (merges.length > MAX_ID) throw new Error(`tokenizer.json: over ${MAX_ID} merges`);
  const mergeIds = new Int32Array(3 * merges.length);
  merges.forEach((m, rank) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new Error(`tokenizer.json: merge ${rank + 1} is not "left right" or ["left", "right"]`);
    }
    const [a, b] = pair as [string, string];
    const ida = ids.get(a), idb = ids.get(b), merged = ids.get(a + b);
    if (ida === undefined || idb === undefined || merged === undefined) {
      throw new Error(`tokenizer.json: merge ${rank + 1} (${JSON.stringify(a)} ${JSON.stringify(b)}) names a token that the vocabulary lacks`);
    }
    mergeIds.set([ida, idb, merged], 3 * rank);
  });

  const lookUp = (token: string): number | undefined => addedIds.get(token) ?? ids.get(token);
  const eos = eosTokenOf(configJson);
  const eosId = eos === undefined ? undefined : lookUp(eos);
  if (eos !== undefined && eosId === undefined) throw new Error(`tokenizer_config.json: eos_token ${JSON.stringify(eos)} is not a token of tokenizer.json`);
  const eotId = lookUp('<|endoftext|>') ?? eosId;
  if (eotId === undefined) throw new Error('tokenizer.json has no <|endoftext|> token and tokenizer_config.json names no eos_token');
  return {
    eotId, byteIds, merges: mergeIds, tokenLengths, tokenBytes,
    pipeline: { normalizers, prefixSpace, stages, eosId: eosId ?? eotId },
  };
}
