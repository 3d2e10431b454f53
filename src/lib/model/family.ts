// The seam between the model-agnostic machinery (CausalLM, the trainer, checkpoints, export,
// generation) and one model family (GPT-2 today; Llama/Qwen2 next). A family says what its
// parameters are (one table: logical names, shapes, decay), how its forward pass is built from
// pieces (embedding, block l, final norm, head), how its names map to Hugging Face's, and how
// to make its tokenizer. Everything else speaks of logical parameters only: `wte.weight` is one
// parameter, whatever row slices it is held in on the device (parameters.ts).
import type * as tf from '@tensorflow/tfjs';
import type { LayerKV } from './cache.ts';
import type { TokenizerTables } from '../tokenizer/byte-level-bpe.ts';
import type { IdBuffer } from '../tokenizer/id-buffer.ts';

export interface ParamSpec {
  /** Logical name: Hugging Face's, less the family's wrapper prefix (GPT-2: `transformer.`). */
  name: string;
  shape: number[];
  /** Weights with 2 or more dimensions decay; biases, norms don't (nanoGPT's rule). */
  decay: boolean;
  /**
   * A vocabulary table ([V, C]: an embedding, a head). It may be held as row slices so that no
   * tensor exceeds the device's buffer limit; only the embedding and loss code see them.
   */
  vocabRows?: boolean;
}

/**
 * Dropout at one call site: the identity unless training (dropout.ts seeds it). `stream` 1 is the
 * adapters' (dropout.ts' ADAPTER_STREAM), counted apart from the base network's sites.
 */
export type Dropout = (x: tf.Tensor, rate: number, stream?: number) => tf.Tensor;

/**
 * A trainable low-rank update beside a frozen linear map (LoRA, lib/lora): x [N, in] -> [N, out],
 * added to the map's output. It takes the piece's dropout, so its masks follow the seed rule.
 */
export type LinearAdapter = (x: tf.Tensor2D, dropout: Dropout) => tf.Tensor2D;

/** Consecutive row blocks of a vocabulary table, rows start .. start+size-1 each. */
export type RowSlices = readonly { start: number; size: number; weight: tf.Tensor2D }[];

/**
 * What a forward piece reads its weights through: the model's variables, or the inputs tf.grads
 * differentiates (recomputation), under the same logical names.
 */
export interface Weights {
  /** A parameter held whole. */
  get<R extends tf.Rank = tf.Rank>(name: string): tf.Tensor<R>;
  /** A vocabulary table, as row slices. */
  rows(name: string): RowSlices;
  /**
   * The adapter beside linear map `module` (its weight's logical name less `.weight`), when
   * adapters are attached and one targets it. Every family's linear maps ask.
   */
  adapter?(module: string): LinearAdapter | undefined;
}

/** The batch a piece runs on: B rows of T positions, after `past` cached ones. */
export interface Span {
  B: number;
  T: number;
  past: number;
}

/** Appends one layer's new keys/values [B, kvHeads, T, hs] to a KV cache; returns all of them. */
export type KVAppend = (k: tf.Tensor4D, v: tf.Tensor4D) => LayerKV;

/** The sizes the machinery needs without knowing the family. */
export interface ModelDims {
  vocab: number; // V: rows of the vocabulary tables
  width: number; // C: the residual stream
  layers: number; // transformer blocks
  positions: number; // longest sequence the model takes
}

/** The logical parameters each piece reads, so recomputation can differentiate one piece at a time. */
export interface PieceParams {
  embed: string[];
  block(l: number): string[];
  /** The final norm and the head's table (the tied embedding, or lm_head). */
  head: string[];
}

/**
 * What generation and the data pipeline need of a tokenizer: every family's is a byte-level BPE
 * (GPT2Tokenizer, TokenizerJsonBPE), whose tables the tokenizer pool posts to its workers.
 */
export interface TextTokenizer {
  /** The end-of-text id: the separator between samples, the stop of generation. */
  readonly eotId: number;
  /** Ids past the vocabulary (largest id + 1); the model's vocab_size may be larger (padded). */
  readonly vocabSize: number;
  /** What the pool's workers rebuild it from (from-tables.ts); tokenLengths[id] < 0: an id with no token. */
  readonly tables: TokenizerTables;
  encode(text: string): number[];
  encodeInto(text: string, out: IdBuffer): number;
  decode(ids: ArrayLike<number>): string;
  /** One token's UTF-8 bytes (streaming decode holds back a character cut between tokens). */
  bytesOf(id: number): Uint8Array;
}

export interface ModelFamily<C = unknown, Tok extends TextTokenizer = TextTokenizer> {
  /** config.json's model_type. */
  readonly modelType: string;
  /** Validates a parsed config.json; refuses, naming what it found, a model of another family. */
  parseConfig(json: unknown): C;
  dims(config: C): ModelDims;
  /** Every parameter, in save_pretrained order (llm.c's param_sizes): memory and FLOPs derive from it. */
  paramTable(config: C): ParamSpec[];
  pieceParams(config: C): PieceParams;

  /** ids [B*T] int32 -> [B*T, C]: token (and, where the family has them, position) embeddings. */
  embed(config: C, w: Weights, ids: tf.Tensor1D, span: Span, dropout: Dropout): tf.Tensor2D;
  /** Block l: x [B*T, C] -> [B*T, C]; mask [T, past+T] or null; `kv` appends to a KV cache. */
  block(config: C, l: number, x: tf.Tensor2D, w: Weights, span: Span, mask: tf.Tensor2D | null, dropout: Dropout, kv?: KVAppend): tf.Tensor2D;
  /** The final norm: [N, C] -> [N, C], the hidden states the head reads. */
  final(config: C, x: tf.Tensor2D, w: Weights): tf.Tensor2D;
  /** The vocabulary table whose rows the head's logits are dot products with. */
  headTable(config: C): string;

  /** Checkpoint tensors by Hugging Face name -> logical parameters, checked against paramTable. */
  fromHF<T extends { shape: number[] }>(config: C, weights: Map<string, T>): Map<string, T>;
  /** Logical parameters -> the tensors save_pretrained writes, in its order. */
  toHF<T>(config: C, weights: Map<string, T>): Map<string, T>;

  /** The tokenizer's files in a model folder, by name (GPT-2: vocab.json, merges.txt). */
  readonly tokenizerFiles: readonly string[];
  tokenizer(files: Readonly<Record<string, string>>): Tok;
}
