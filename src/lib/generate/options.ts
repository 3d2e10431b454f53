// Generation settings: their check, and the defaults (owned by model/sampling.ts), apart from
// generate.ts so that the page (which must not bundle tfjs: it lives in the model worker) can
// import them.
import type { SampleOptions } from '../model/sampling.ts';

export { DEFAULT_PROMPT, DEFAULT_SAMPLE_OPTIONS, type SampleOptions } from '../model/sampling.ts';

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
