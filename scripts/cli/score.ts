// npm run -s cli -- score --model DIR        (text on stdin)
//   -> {"tokens": n, "loss": mean next-token cross-entropy, "losses": [per position]}
// The text is encoded as ordinary text with no prefix token (docs/design.md#model-folders), so losses[i] is
// -log p(ids[i+1] | ids[0..i]) and there are n-1 of them. tfjs CPU backend.
import * as tf from '@tensorflow/tfjs';
import { parseArgs, readStdin, requireOption } from './args.ts';
import { loadCliModel } from './model.ts';
import type { CausalLM } from '../../src/lib/model/causal-lm.ts';

/**
 * Per-position losses of `ids`. Texts longer than the model's context (GPT-2's n_positions) are scored in
 * windows of n_positions advancing by half a window; each target is scored once, in the
 * first window where it has at least half a window of context (the usual strided perplexity).
 */
export async function scoreIds(model: CausalLM, ids: number[]): Promise<number[]> {
  const P = model.dims.positions;
  const losses: number[] = [];
  const stride = Math.max(1, Math.floor(P / 2));
  for (let start = 0; ; start += stride) {
    const window = ids.slice(start, start + P);
    // The previous window scored tokens up to start - stride + P - 1; this one's losses[i] scores token start + i + 1.
    const firstTarget = start === 0 ? 0 : P - stride - 1;
    const part = tf.tidy(() => {
      const x = tf.tensor2d([window.slice(0, -1)], [1, window.length - 1], 'int32');
      const y = tf.tensor1d(window.slice(1), 'int32');
      return model.tokenLosses(model.hidden(x), y); // [T-1]
    });
    const values = Array.from(await part.data()); // sync point
    part.dispose();
    losses.push(...values.slice(firstTarget));
    if (start + P >= ids.length) break;
  }
  return losses;
}

export async function run(args: string[]): Promise<void> {
  const p = parseArgs(args, ['model']);
  if (p.flags.size || p.positional.length) {
    throw new Error(`unexpected argument ${p.flags.size ? '--' + [...p.flags][0] : `"${p.positional[0]}"`}`);
  }
  const dir = requireOption(p, 'model');
  await tf.setBackend('cpu');
  await tf.ready();
  // The CPU backend greets Node users on stderr ("install tfjs-node"); stderr is for errors here.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const { model, tok } = await loadCliModel(dir);
  try {
    const ids = tok.encode(await readStdin());
    if (ids.length < 2) throw new Error(`the text has ${ids.length} token(s); scoring needs at least 2`);
    const losses = await scoreIds(model, ids);
    const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
    process.stdout.write(JSON.stringify({ tokens: ids.length, loss, losses }) + '\n');
  } finally {
    model.dispose();
  }
}
