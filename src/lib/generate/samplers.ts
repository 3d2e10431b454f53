// Logits processors and samplers, as pure functions on one row of logits (Float32Array of
// the vocabulary size). No tfjs: they run on the one read-back per step of generate().
//
// They follow Hugging Face transformers' processors, in HF's order (generate() with
// do_sample): repetition penalty, min_new_tokens (EOT masked), then the warpers
// temperature, top-k, top-p; then softmax and a draw. Each returns a new array.
// Removed tokens get -Infinity, as HF's filter_value.

/**
 * CTRL's repetition penalty (Keskar et al. 2019) as HF's RepetitionPenaltyLogitsProcessor:
 * for every distinct token in `seen` (HF passes the whole input_ids: prompt, prefix and
 * generated tokens), a positive logit is divided by `penalty`, a negative one multiplied.
 */
export function repetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): Float32Array {
  const out = logits.slice();
  if (penalty === 1) return out;
  if (!(penalty > 0)) throw new Error(`repetition penalty must be > 0, got ${penalty}`);
  // A Set: a token seen twice is penalised once, as HF's gather/scatter does.
  for (const id of new Set(seen)) {
    const x = logits[id];
    out[id] = x < 0 ? x * penalty : x / penalty;
  }
  return out;
}

/**
 * Removes the ids the tokenizer cannot decode (`decodable[id]` 0): a model whose vocab_size
 * exceeds its vocabulary (GPT-2 checkpoints pad it to a multiple of 64 or 128) has logits for
 * ids no text stands for, and drawing one would end the sample mid-stream.
 */
export function maskUndecodable(logits: Float32Array, decodable: Uint8Array): Float32Array {
  const out = logits.slice();
  for (let i = 0; i < out.length; i++) if (!decodable[i]) out[i] = -Infinity;
  return out;
}

/** min_new_tokens: <|endoftext|> cannot be drawn before `minNewTokens` tokens exist. */
export function suppressToken(logits: Float32Array, id: number): Float32Array {
  const out = logits.slice();
  out[id] = -Infinity;
  return out;
}

/** Divides by the temperature: below 1 sharpens the distribution, above 1 flattens it. */
export function temperature(logits: Float32Array, t: number): Float32Array {
  if (!(t > 0)) throw new Error(`temperature must be > 0 (use greedy for 0), got ${t}`);
  const out = logits.slice();
  if (t === 1) return out;
  for (let i = 0; i < out.length; i++) out[i] = logits[i] / t;
  return out;
}

/**
 * Keeps the k largest logits (and any tied with the k-th, as HF's `scores < kth` does);
 * k = 0 or k >= vocabulary keeps everything.
 */
export function topK(logits: Float32Array, k: number): Float32Array {
  const out = logits.slice();
  if (k <= 0 || k >= logits.length) return out;
  const kth = kthLargest(logits, k);
  for (let i = 0; i < out.length; i++) if (out[i] < kth) out[i] = -Infinity;
  return out;
}

/**
 * The k-th largest value, by quickselect (Hoare partition, median of three): O(V) per step
 * instead of sorting 50257 logits, which took longer than the cached forward pass itself.
 */
export function kthLargest(values: Float32Array, k: number): number {
  const a = values.slice();
  const target = a.length - k; // index of the k-th largest in ascending order
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot, so sorted or constant runs stay O(V)
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]; // between the two halves: equal to the pivot
  }
  return a[target];
}

/**
 * Nucleus sampling (Holtzman et al. 2019): sort by probability, take the cumulative
 * softmax, keep the smallest head of the ranking whose mass reaches `p` (at least one
 * token), remove the rest. The renormalisation over the kept set is the softmax that
 * follows. Same set as HF's TopPLogitsWarper (which removes the ascending tail whose
 * cumulative mass is <= 1 - p); ties are ranked by token id.
 */
export function topP(logits: Float32Array, p: number): Float32Array {
  const out = logits.slice();
  if (p >= 1) return out;
  if (!(p > 0)) throw new Error(`top-p must be in (0, 1], got ${p}`);
  // Only finite logits can carry mass (top-k may have removed most of the vocabulary).
  const idx: number[] = [];
  for (let i = 0; i < logits.length; i++) if (logits[i] > -Infinity) idx.push(i);
  idx.sort((a, b) => logits[b] - logits[a] || a - b);
  const probs = softmaxOf(idx.map((i) => logits[i]));
  let mass = 0;
  let keep = 0;
  while (keep < idx.length) {
    mass += probs[keep++];
    if (mass >= p) break;
  }
  for (let j = keep; j < idx.length; j++) out[idx[j]] = -Infinity;
  return out;
}

/** Softmax in float64 (max subtracted first); -Infinity logits get probability 0. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  return softmaxOf(logits);
}

function softmaxOf(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  if (max === -Infinity) throw new Error('every token was removed: nothing left to sample');
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Inverse-CDF draw: the first index whose cumulative probability exceeds u in [0, 1). */
export function drawIndex(probs: ArrayLike<number>, u: number): number {
  let cum = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u landed in the rounding gap at the top end
}

/** Index of the largest logit; the lowest index wins a tie (as torch.argmax on CPU). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** What a processing step needs to know about the sequence so far. */
export interface StepContext {
  /** Every id of the sequence so far (prefix, prompt, generated): the repetition penalty's input_ids. */
  seen: Iterable<number>;
  /** How many tokens this sample has generated so far. */
  newTokens: number;
  eotId: number;
  /** 1 for each id the tokenizer can decode; absent when it decodes every id of the model. */
  decodable?: Uint8Array;
}

export interface ProcessOptions {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  minNewTokens: number;
  greedy?: boolean;
}

/**
 * The full HF chain on one row, after the ids no text stands for are removed. Greedy applies
 * only the processors (repetition penalty, min_new_tokens), not the warpers, as HF's greedy
 * search does.
 */
export function processLogits(logits: Float32Array, o: ProcessOptions, ctx: StepContext): Float32Array {
  let x = repetitionPenalty(ctx.decodable ? maskUndecodable(logits, ctx.decodable) : logits, ctx.seen, o.repetitionPenalty);
  if (ctx.newTokens < o.minNewTokens) x = suppressToken(x, ctx.eotId);
  if (o.greedy) return x;
  x = temperature(x, o.temperature);
  x = topK(x, o.topK);
  return topP(x, o.topP);
}

/** Picks the next token of one sample: argmax when greedy, else a draw with `u` in [0, 1). */
export function pickToken(logits: Float32Array, o: ProcessOptions, ctx: StepContext, u: number): number {
  const x = processLogits(logits, o, ctx);
  return o.greedy ? argmax(x) : drawIndex(softmax(x), u);
}
