// Samplers against hand-worked logits, step by step, and against a literal port of
// Hugging Face's TopPLogitsWarper (ascending sort, cumsum, remove <= 1 - p).
import { describe, expect, it } from 'vitest';
import {
  argmax,
  drawIndex,
  kthLargest,
  pickToken,
  processLogits,
  repetitionPenalty,
  softmax,
  suppressToken,
  temperature,
  topK,
  topP,
} from '../../src/lib/generate/samplers.ts';
import { Rng, sampleSeed } from '../../src/lib/rng.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);
const NEG = -Infinity;

describe('repetition penalty (CTRL / HF)', () => {
  it('divides positive logits and multiplies negative ones of seen tokens, once each', () => {
    const x = f32([2.0, 1.0, 0.5, -1.0, -3.0]);
    // token 0 (2.0 -> 1.0), token 3 (-1.0 -> -2.0, seen twice but penalised once)
    expect(Array.from(repetitionPenalty(x, [0, 3, 3], 2))).toEqual([1.0, 1.0, 0.5, -2.0, -3.0]);
    expect(Array.from(x)).toEqual([2.0, 1.0, 0.5, -1.0, -3.0]); // input untouched
    expect(Array.from(repetitionPenalty(x, [0, 3], 1))).toEqual(Array.from(x));
  });
  it('a penalty below 1 favours repetition', () => {
    expect(Array.from(repetitionPenalty(f32([2, -2]), [0, 1], 0.5))).toEqual([4, -1]);
  });
});

describe('temperature', () => {
  it('divides every logit', () => {
    expect(Array.from(temperature(f32([1.0, 1.0, 0.5, -2.0]), 0.5))).toEqual([2, 2, 1, -4]);
    expect(Array.from(temperature(f32([3, -1]), 2))).toEqual([1.5, -0.5]);
  });
  it('refuses 0', () => expect(() => temperature(f32([1]), 0)).toThrow(/temperature/));
});

describe('top-k', () => {
  it('keeps the k largest', () => {
    expect(Array.from(topK(f32([2, 2, 1, -4, -6]), 3))).toEqual([2, 2, 1, NEG, NEG]);
    expect(Array.from(topK(f32([0.1, 0.9, 0.5, 0.7]), 2))).toEqual([NEG, 0.9, NEG, 0.7].map(Math.fround));
  });
  it('keeps ties with the k-th value, as HF does', () => {
    expect(Array.from(topK(f32([3, 1, 1, 0]), 2))).toEqual([3, 1, 1, NEG]);
  });
  it('finds the k-th largest by quickselect, as a full sort does', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rng.next() * 300);
      // few distinct values in some trials, so ties and runs are exercised
      const levels = trial % 2 ? 5 : 1e9;
      const x = Float32Array.from({ length: n }, () => Math.floor(rng.next() * levels) - (rng.next() < 0.05 ? Infinity : 0));
      const k = 1 + Math.floor(rng.next() * n);
      const sorted = Array.from(x).sort((a, b) => b - a);
      expect(kthLargest(x, k)).toBe(sorted[k - 1]);
    }
  });
  it('k = 0 or k >= vocabulary keeps all', () => {
    expect(Array.from(topK(f32([3, 1, 0]), 0))).toEqual([3, 1, 0]);
    expect(Array.from(topK(f32([3, 1, 0]), 50))).toEqual([3, 1, 0]);
  });
});

describe('top-p (nucleus)', () => {
  // probabilities 0.5, 0.3, 0.15, 0.05 in shuffled order: ids 2, 0, 3, 1
  const logits = f32([Math.log(0.3), Math.log(0.05), Math.log(0.5), Math.log(0.15)]);
  const kept = (x: Float32Array) => Array.from(x, (v, i) => (v > NEG ? i : -1)).filter((i) => i >= 0);
  it('keeps the smallest head whose mass reaches p', () => {
    expect(kept(topP(logits, 0.4))).toEqual([2]); // 0.5 >= 0.4
    expect(kept(topP(logits, 0.75))).toEqual([0, 2]); // 0.5 + 0.3 = 0.8 >= 0.75
    expect(kept(topP(logits, 0.85))).toEqual([0, 2, 3]); // 0.95 >= 0.85
    expect(kept(topP(logits, 0.99))).toEqual([0, 1, 2, 3]);
    expect(kept(topP(logits, 1))).toEqual([0, 1, 2, 3]);
  });
  it('renormalises over the kept set', () => {
    const p = softmax(topP(logits, 0.75));
    expect(p[2]).toBeCloseTo(0.5 / 0.8, 6);
    expect(p[0]).toBeCloseTo(0.3 / 0.8, 6);
    expect(p[1]).toBe(0);
    expect(p[3]).toBe(0);
  });
  it('ignores tokens already removed by top-k', () => {
    const x = f32([2, 2, 1, NEG, NEG]); // probs e2, e2, e1 over 2e2 + e: .4223 .4223 .1554
    expect(kept(topP(x, 0.8))).toEqual([0, 1]);
    expect(kept(topP(x, 0.9))).toEqual([0, 1, 2]);
  });

  // Hugging Face's TopPLogitsWarper, line by line, in float64 like torch on float32 scores.
  function hfTopP(scores: Float32Array, p: number): Float32Array {
    const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || b - a); // ascending
    const probs = softmax(order.map((i) => scores[i]));
    const out = scores.slice();
    let cum = 0;
    order.forEach((id, j) => {
      cum += probs[j];
      const isLast = j === order.length - 1; // min_tokens_to_keep = 1
      if (cum <= 1 - p && !isLast) out[id] = NEG;
    });
    return out;
  }
  it('matches HF on random logits', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const x = Float32Array.from({ length: 200 }, () => (rng.next() - 0.5) * 8);
      for (const p of [0.1, 0.5, 0.9, 0.95]) {
        expect(kept(topP(x, p))).toEqual(kept(hfTopP(x, p)));
      }
    }
  });
});

describe('min_new_tokens', () => {
  it('masks <|endoftext|> before the minimum only', () => {
    expect(Array.from(suppressToken(f32([1, 2, 3]), 2))).toEqual([1, 2, NEG]);
    const o = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, minNewTokens: 2, greedy: true };
    const x = f32([0, 1, 5]);
    expect(pickToken(x, o, { seen: [], newTokens: 1, eotId: 2 }, 0)).toBe(1);
    expect(pickToken(x, o, { seen: [], newTokens: 2, eotId: 2 }, 0)).toBe(2);
  });
});

describe('the whole chain, in HF order', () => {
  const o = { temperature: 0.5, topK: 3, topP: 0.8, repetitionPenalty: 2, minNewTokens: 0 };
  const ctx = { seen: [0, 3], newTokens: 0, eotId: 4 };
  it('penalty, temperature, top-k, top-p, by hand', () => {
    // [2, 1, .5, -1, -3] -penalty-> [1, 1, .5, -2, -3] -T=.5-> [2, 2, 1, -4, -6]
    // -top3-> [2, 2, 1, -inf, -inf] -> probs .4223 .4223 .1554 -top-p .8-> ids 0, 1
    const x = processLogits(f32([2, 1, 0.5, -1, -3]), o, ctx);
    expect(Array.from(x)).toEqual([2, 2, NEG, NEG, NEG]);
    expect(Array.from(softmax(x))).toEqual([0.5, 0.5, 0, 0, 0]);
    expect(pickToken(f32([2, 1, 0.5, -1, -3]), o, ctx, 0.3)).toBe(0);
    expect(pickToken(f32([2, 1, 0.5, -1, -3]), o, ctx, 0.7)).toBe(1);
  });
  it('greedy applies the processors (penalty, min_new_tokens) but not the warpers', () => {
    const g = processLogits(f32([2, 1, 0.5, -1, -3]), { ...o, greedy: true, minNewTokens: 1 }, ctx);
    expect(Array.from(g)).toEqual([1, 1, 0.5, -2, NEG]);
    expect(argmax(g)).toBe(0); // a tie goes to the lowest id, as torch.argmax
  });
});

describe('draws', () => {
  it('inverse CDF', () => {
    const p = [0.2, 0, 0.5, 0.3];
    expect(drawIndex(p, 0)).toBe(0);
    expect(drawIndex(p, 0.19)).toBe(0);
    expect(drawIndex(p, 0.2)).toBe(2);
    expect(drawIndex(p, 0.69)).toBe(2);
    expect(drawIndex(p, 0.71)).toBe(3);
    expect(drawIndex(p, 0.9999999999999999)).toBe(3);
  });
  it('frequencies follow the probabilities', () => {
    const rng = new Rng(123);
    const probs = softmax(f32([Math.log(0.6), Math.log(0.3), Math.log(0.1)]));
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[drawIndex(probs, rng.next())]++;
    expect(counts[0] / 20000).toBeCloseTo(0.6, 1);
    expect(counts[1] / 20000).toBeCloseTo(0.3, 1);
    expect(counts[2] / 20000).toBeCloseTo(0.1, 1);
  });
});

describe('seedable RNG', () => {
  it('is mulberry32 (values from an independent Python port)', () => {
    const r = new Rng(42);
    expect([r.next(), r.next(), r.next(), r.next()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693,
    ]);
    const z = new Rng(0);
    expect([z.next(), z.next()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });
  it('its state serialises and resumes', () => {
    const a = new Rng(99);
    a.next();
    const b = Rng.fromState(JSON.parse(JSON.stringify(a.state)));
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()]);
  });
  it('gives each sample its own stream', () => {
    const seeds = [0, 1, 2, 3].map((i) => sampleSeed(5, i));
    expect(new Set(seeds).size).toBe(4);
    expect(sampleSeed(5, 0)).not.toBe(sampleSeed(6, 0));
    expect(sampleSeed(5, 2)).toBe(sampleSeed(5, 2));
  });
});
