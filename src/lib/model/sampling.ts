// How the model is sampled unless told otherwise: the page's defaults, huggingtweets' own. Here,
// below generate/, because an exported model folder writes them too (export.ts' generation
// config, the card's widget prompt); generate/options.ts re-exports them for the page.

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
