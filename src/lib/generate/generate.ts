// Autoregressive generation: numSamples continuations of one prompt at once (a batch),
// greedy or sampled (samplers.ts, HF's order), stopping per sample at the model's end-of-text token,
// streamed token by token. With the KV cache each step feeds one new token per sample;
// the full-recompute path (kvCache: false) feeds the whole sequence every step and exists
// to check the cache (same greedy tokens) and to measure what it saves (bench/generate.ts).
import * as tf from '@tensorflow/tfjs';
import type { CausalLM, KVCache } from '../model/causal-lm.ts';
import type { TextTokenizer } from '../model/family.ts';
import { StreamingDecoder } from '../tokenizer/bpe.ts';
import { pickToken } from './samplers.ts';
import { Rng, sampleSeed } from '../rng.ts';
import { checkSampleOptions, type SampleOptions } from './options.ts';

export { DEFAULT_PROMPT, DEFAULT_SAMPLE_OPTIONS, checkSampleOptions, type SampleOptions } from './options.ts';

export interface GenerateEvent {
  sample: number;
  id: number; // the new token (eotId when the sample stops on <|endoftext|>)
  text: string; // the piece of text this token completes (clean UTF-8; '' while a character is split)
  done: boolean; // last event of this sample
}

/** The ids the model is conditioned on: optional EOT prefix, then the prompt as ordinary text. */
export function promptIds(tok: TextTokenizer, prompt: string, prefixEot: boolean): number[] {
  const ids = [...(prefixEot ? [tok.eotId] : []), ...tok.encode(prompt)];
  if (ids.length === 0) throw new Error('the prompt is empty and there is no <|endoftext|> prefix: nothing to continue');
  return ids;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('generation aborted', 'AbortError');
}

/**
 * Logits of the last position of each row of `rows` ([B, T] ids): [B, V] as one
 * Float32Array. With `cache`, `rows` holds only the positions the cache lacks.
 */
async function lastLogits(model: CausalLM, rows: number[][], cache?: KVCache): Promise<Float32Array> {
  const B = rows.length;
  const T = rows[0].length;
  const logits = tf.tidy(() => {
    const ids = tf.tensor2d(rows.flat(), [B, T], 'int32'); // [B, T]
    const h = model.hidden(ids, { cache }); // [B*T, C]
    const C = h.shape[1];
    const last = h.reshape([B, T, C]).slice([0, T - 1, 0], [B, 1, C]).reshape([B, C]) as tf.Tensor2D; // [B, C]
    return model.logits(last); // [B, V]
  });
  try {
    // SYNC POINT: the step's one GPU read-back; sampling runs on the CPU copy.
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/**
 * Which of the model's `V` ids the tokenizer can decode (1) or not (0: past its vocabulary, or
 * a gap in the vocabulary's ids); undefined when it decodes them all, so sampling skips the mask.
 */
export function decodableIds(tok: TextTokenizer, V: number): Uint8Array | undefined {
  const lengths = tok.tables.tokenLengths; // -1 where the vocabulary has no such id
  const mask = new Uint8Array(V);
  let all = true;
  for (let id = 0; id < V; id++) {
    mask[id] = id < lengths.length && lengths[id] >= 0 ? 1 : 0;
    all &&= mask[id] === 1;
  }
  return all ? undefined : mask;
}

/**
 * The token loop without text: yields each sample's new ids as they come. Shared by
 * generate() (which adds streamed text) and the bench. With `decodable` (decodableIds), no id
 * outside it is ever picked.
 */
export async function* generateIds(
  model: CausalLM,
  prompt: number[],
  opts: SampleOptions,
  eotId: number,
  signal?: AbortSignal,
  decodable?: Uint8Array,
): AsyncGenerator<{ sample: number; id: number; done: boolean }> {
  const B = opts.numSamples;
  const P = prompt.length;
  const { vocab: V, positions } = model.dims;
  checkSampleOptions(opts);
  if (P >= positions) {
    throw new Error(`the prompt is ${P} tokens; this model sees at most ${positions}, leaving no room to generate`);
  }
  const maxNew = Math.min(opts.maxNewTokens, positions - P);
  const rngs = Array.from({ length: B }, (_, b) => new Rng(sampleSeed(opts.seed, b)));
  const seqs = Array.from({ length: B }, () => prompt.slice()); // what each sample's model input holds
  const done = new Array<boolean>(B).fill(false);
  const cache = opts.kvCache === false ? undefined : model.newCache(B);
  try {
    throwIfAborted(signal);
    let logits = await lastLogits(model, seqs, cache); // prefill: [B, V]
    for (let t = 0; t < maxNew; t++) {
      for (let b = 0; b < B; b++) {
        // A finished sample keeps a row in the batch (the cache is rectangular): fed EOT, ignored.
        if (done[b]) {
          seqs[b].push(eotId);
          continue;
        }
        const row = logits.subarray(b * V, (b + 1) * V);
        const ctx = { seen: seqs[b], newTokens: t, eotId, decodable };
        const id = pickToken(row, opts, ctx, opts.greedy ? 0 : rngs[b].next());
        seqs[b].push(id);
        done[b] = id === eotId || t === maxNew - 1;
        yield { sample: b, id, done: done[b] };
      }
      if (done.every(Boolean)) break;
      throwIfAborted(signal);
      logits = await lastLogits(model, cache ? seqs.map((s) => s.slice(-1)) : seqs, cache);
    }
  } finally {
    cache?.dispose();
  }
}

/**
 * Generates opts.numSamples continuations of `prompt`, streaming each token as it comes
 * with the text it completes (only ids the tokenizer can decode are drawn). A sample's last event has done: true; a stop on
 * <|endoftext|> yields the EOT id with the decoder's remaining text (never the EOT text).
 */
export async function* generate(
  model: CausalLM,
  tok: TextTokenizer,
  prompt: string,
  opts: SampleOptions,
  signal?: AbortSignal,
): AsyncGenerator<GenerateEvent> {
  const decoders = Array.from({ length: opts.numSamples }, () => new StreamingDecoder(tok));
  const ids = promptIds(tok, prompt, opts.prefixEot ?? false);
  const decodable = decodableIds(tok, model.dims.vocab);
  for await (const e of generateIds(model, ids, opts, tok.eotId, signal, decodable)) {
    const dec = decoders[e.sample];
    let text = e.id === tok.eotId ? '' : dec.push(e.id);
    if (e.done) text += dec.flush();
    yield { ...e, text };
  }
}

/** Runs generate() to the end: per sample, the new ids (EOT included if drawn) and text. */
export async function generateAll(
  model: CausalLM,
  tok: TextTokenizer,
  prompt: string,
  opts: SampleOptions,
  signal?: AbortSignal,
): Promise<{ ids: number[]; text: string }[]> {
  const out = Array.from({ length: opts.numSamples }, () => ({ ids: [] as number[], text: '' }));
  for await (const e of generate(model, tok, prompt, opts, signal)) {
    out[e.sample].ids.push(e.id);
    out[e.sample].text += e.text;
  }
  return out;
}
