// Generation settings and the page's defaults, apart from generate.ts so that the page (which
// must not bundle tfjs: it lives in the model worker) can import them.

export interface SampleOptions {
  temperature: number; // > 0; 1 leaves the distribution as the model gives it
  topK: number; // keep the k most likely tokens; 0 = off
  topP: number; // nucleus mass in (0, 1]; 1 = off
  repetitionPenalty: number; // CTRL penalty; 1 = off
  minNewTokens: number; // <|endoftext|> is masked before this many new tokens
  maxNewTokens: number; // hard cap (also capped by n_positions)
  numSamples: number; // continuations generated together as one batch
  seed: number; // sample i draws from Rng(sampleSeed(seed, i))
  greedy?: boolean; // argmax instead of a draw (warpers off, as HF's greedy search)
  prefixEot?: boolean; // prepend <|endoftext|> to the prompt, as huggingtweets' page did
  kvCache?: boolean; // default true; false recomputes the whole sequence every step
}

/** The page's defaults, huggingtweets' own: prompt "My dream is" with an EOT prefix. */
export const DEFAULT_SAMPLE_OPTIONS: Readonly<SampleOptions> = Object.freeze({
  temperature: 1.0,
  topK: 50,
  topP: 0.95,
  repetitionPenalty: 1.0,
  minNewTokens: 10,
  maxNewTokens: 160,
  numSamples: 5,
  seed: 42, // the page should pass a fresh seed per click and show it, so a sample can be replayed
  greedy: false,
  prefixEot: true,
  kvCache: true,
});

export const DEFAULT_PROMPT = 'My dream is';

/** Throws one readable line for a setting generate() cannot use (before any work starts). */
export function checkSampleOptions(o: SampleOptions): void {
  const int = (name: keyof SampleOptions, min: number) => {
    const v = o[name] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int('maxNewTokens', 1);
  int('minNewTokens', 0);
  int('numSamples', 1);
  int('topK', 0);
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
  if (!(o.repetitionPenalty > 0)) throw new Error(`repetitionPenalty must be > 0, got ${o.repetitionPenalty}`);
  if (o.greedy) return; // the warpers are off: temperature and top-p do not matter
  if (!(o.temperature > 0)) throw new Error(`temperature must be > 0 (or use greedy), got ${o.temperature}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${o.topP}`);
}
