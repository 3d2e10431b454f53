// The generate step's settings: huggingtweets' page defaults (from the library's options.ts,
// which imports no tfjs, so the page's bundle stays free of it), and the checks that turn what a
// person typed into SampleOptions the worker accepts.
import { DEFAULT_PROMPT, DEFAULT_SAMPLE_OPTIONS, type SampleOptions } from '../../lib/generate/options.ts';

export const PAGE_PROMPT = DEFAULT_PROMPT;

/** What the settings form edits (the worker fills kvCache and prefixEot itself). */
export type PageSampleSettings = Pick<
  SampleOptions,
  'temperature' | 'topK' | 'topP' | 'repetitionPenalty' | 'minNewTokens' | 'maxNewTokens' | 'numSamples' | 'seed'
> & { greedy: boolean };

const { temperature, topK, topP, repetitionPenalty, minNewTokens, maxNewTokens, numSamples, seed } = DEFAULT_SAMPLE_OPTIONS;
export const PAGE_SAMPLE_DEFAULTS: Readonly<PageSampleSettings> = Object.freeze({
  temperature, topK, topP, repetitionPenalty, minNewTokens, maxNewTokens, numSamples, seed, greedy: false,
});

/** Bounds of each number field: the inputs' min/max and the check below share them. */
export const BOUNDS: Record<Exclude<keyof PageSampleSettings, 'greedy'>, { min: number; max: number; step: number; int: boolean }> = {
  temperature: { min: 0.05, max: 3, step: 0.05, int: false },
  topK: { min: 0, max: 1000, step: 1, int: true },
  topP: { min: 0.01, max: 1, step: 0.01, int: false },
  repetitionPenalty: { min: 1, max: 3, step: 0.05, int: false },
  minNewTokens: { min: 0, max: 1024, step: 1, int: true },
  maxNewTokens: { min: 1, max: 1024, step: 1, int: true },
  numSamples: { min: 1, max: 10, step: 1, int: true },
  seed: { min: 0, max: 2 ** 31 - 1, step: 1, int: true },
};

/** The form's label for each field; problems name fields the same way. */
export const LABELS: Record<keyof typeof BOUNDS, string> = {
  temperature: 'Temperature',
  topK: 'Top-k',
  topP: 'Top-p',
  repetitionPenalty: 'Repetition penalty',
  minNewTokens: 'Minimum length',
  maxNewTokens: 'Maximum length',
  numSamples: 'Samples',
  seed: 'Seed',
};

/** One readable line per bad field; empty when the settings can be sent. */
export function settingsProblems(s: PageSampleSettings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(BOUNDS) as (keyof typeof BOUNDS)[]) {
    const v = s[key];
    const b = BOUNDS[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${LABELS[key]} must be a number.`);
    else if (b.int && !Number.isInteger(v)) out.push(`${LABELS[key]} must be a whole number.`);
    else if (v < b.min || v > b.max) out.push(`${LABELS[key]} must be between ${b.min} and ${b.max}.`);
  }
  if (out.length === 0 && s.minNewTokens > s.maxNewTokens) out.push('Minimum length cannot exceed the maximum length.');
  return out;
}

/** A fresh seed for a click, so each click differs and any sample can be replayed from its seed. */
export function randomSeed(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0] % BOUNDS.seed.max;
}
