// npm run bench:matmul-split [-- --reps 3]
//
// The wasm matmul's cut of the inner size (src/lib/wasm-matmul.ts, innerBlocks): each product at
// the shapes that decided it, whole (wasmMatMulOptions.splitInner off) and as tfjs runs it in
// the app, alternated `--reps` times in one process so a busy machine slows both alike. A product
// whose packed right-hand matrix outgrows the cache (Qwen2.5-0.5B's loss piece and MLP at
// B4 x T256) is cut; distilgpt2's are left whole.
import * as tf from '@tensorflow/tfjs';
import { benchOptions, importBenchWasm } from './common.ts';
import { innerBlocks, wasmMatMulOptions } from '../src/lib/wasm-matmul.ts';

const arg = benchOptions(['reps']);
const reps = Number(arg('reps', '3'));
await importBenchWasm('planned');
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start');

// [label, M, K, N, transposeA, transposeB] of out[M, N] = op(a) op(b).
const SHAPES: [string, number, number, number, boolean, boolean][] = [
  ['Qwen2.5 loss dh = g W_p (4748-row piece)', 1024, 4748, 896, true, false],
  ['Qwen2.5 MLP down_proj forward', 1024, 4864, 896, false, true],
  ['Qwen2.5 MLP gate/up forward x W^T', 1024, 896, 4864, false, true],
  ['Qwen2.5 MLP gate/up dW = x^T dy', 896, 1024, 4864, true, false],
  ['distilgpt2 loss dh (3868-row piece)', 1024, 3868, 768, true, false],
  ['distilgpt2 MLP c_proj forward', 1024, 3072, 768, false, false],
];

/** Median ms of one product over `reps` runs after a warm-up. */
async function timeIt(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const out = tf.matMul(a, b, ta, tb);
    await out.data();
    out.dispose();
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  return times.sort((x, y) => x - y)[Math.floor(times.length / 2)];
}

console.log(`| product | M×K×N | blocks | whole (ms) | GFLOP/s | as run (ms) | GFLOP/s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [label, M, K, N, ta, tb] of SHAPES) {
  const a = tf.randomUniform(ta ? [K, M] : [M, K]);
  const b = tf.randomUniform(tb ? [N, K] : [K, N]);
  wasmMatMulOptions.splitInner = false;
  const whole = await timeIt(a, b, ta, tb);
  wasmMatMulOptions.splitInner = true;
  const split = await timeIt(a, b, ta, tb);
  const gflops = (ms: number) => ((2 * M * K * N) / ms / 1e6).toFixed(1);
  console.log(`| ${label} | ${M}×${K}×${N} | ${innerBlocks(K, N)} | ${whole.toFixed(0)} | ${gflops(whole)} | ${split.toFixed(0)} | ${gflops(split)} |`);
  tf.dispose([a, b]);
}
