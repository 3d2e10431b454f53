// npm run -s cli -- generate --model DIR --prompt TEXT --max-new-tokens N [--greedy]
//   -> {"ids": [new ids only], "text": "the new text"}
// tfjs CPU backend. No prefix token (docs/design.md#model-folders): the prompt is encoded as ordinary text.
// Without --greedy it samples with the page's settings (--seed, --temperature, --top-k,
// --top-p, --repetition-penalty, --min-new-tokens override them); --num-samples N > 1
// prints {"samples": [{"ids", "text"}, ...]}. Stops early at <|endoftext|> (its id is
// the last of "ids"; its text is not in "text").
import * as tf from '@tensorflow/tfjs';
import { parseArgs, requireOption } from './args.ts';
import { loadCliModel } from './model.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateAll, type SampleOptions } from '../../src/lib/generate/generate.ts';

function num(value: string | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  }
  return n;
}

export async function run(args: string[]): Promise<void> {
  const valued = ['model', 'prompt', 'max-new-tokens', 'min-new-tokens', 'temperature', 'top-k', 'top-p',
    'repetition-penalty', 'seed', 'num-samples'];
  const p = parseArgs(args, valued);
  const unknown = [...p.flags].filter((f) => f !== 'greedy');
  if (unknown.length || p.positional.length) {
    throw new Error(`unexpected argument ${unknown.length ? '--' + unknown[0] : `"${p.positional[0]}"`}`);
  }
  const dir = requireOption(p, 'model');
  const prompt = requireOption(p, 'prompt');
  const o = p.options;
  const greedy = p.flags.has('greedy');
  const opts: SampleOptions = {
    ...DEFAULT_SAMPLE_OPTIONS,
    greedy,
    prefixEot: false,
    maxNewTokens: num(o.get('max-new-tokens'), 'max-new-tokens', DEFAULT_SAMPLE_OPTIONS.maxNewTokens, true),
    minNewTokens: num(o.get('min-new-tokens'), 'min-new-tokens', greedy ? 0 : DEFAULT_SAMPLE_OPTIONS.minNewTokens, true),
    numSamples: num(o.get('num-samples'), 'num-samples', 1, true),
    seed: num(o.get('seed'), 'seed', DEFAULT_SAMPLE_OPTIONS.seed, true),
    temperature: num(o.get('temperature'), 'temperature', DEFAULT_SAMPLE_OPTIONS.temperature),
    topK: num(o.get('top-k'), 'top-k', DEFAULT_SAMPLE_OPTIONS.topK, true),
    topP: num(o.get('top-p'), 'top-p', DEFAULT_SAMPLE_OPTIONS.topP),
    repetitionPenalty: num(o.get('repetition-penalty'), 'repetition-penalty', DEFAULT_SAMPLE_OPTIONS.repetitionPenalty),
  };
  if (opts.maxNewTokens < 1) throw new Error('--max-new-tokens must be at least 1');
  if (opts.numSamples < 1) throw new Error('--num-samples must be at least 1');

  await tf.setBackend('cpu');
  await tf.ready();
  // The CPU backend greets Node users on stderr ("install tfjs-node"); stderr is for errors here.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const { model, tok } = await loadCliModel(dir);
  try {
    const samples = await generateAll(model, tok, prompt, opts);
    const out = samples.length === 1 ? samples[0] : { samples };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    model.dispose();
  }
}
