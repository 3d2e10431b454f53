// npm run bench:cores [-- --kind alu|mem --table-mb 4 --procs 1,2,4,8]
// What this machine gives N copies of plain JavaScript running at once, as a ceiling to read the
// tokenizer pool's speed-up against (bench/tokenizer.ts): N processes, each with its own V8 and
// its work compiled before the clock starts, all told to go together. `alu`: an integer loop
// (the cores alone); `mem`: random reads in a table of its own (the caches and memory too, as
// the tokenizer's tables and merge cache are). The speed-up is N times one process's time over
// the time until the last of the N finished: below N where the cores slow down when all are busy
// (shared caches, memory bandwidth, turbo clocks, a virtual machine's neighbours).
import os from 'node:os';
import { parseArgs } from '../scripts/cli/args.ts';
import { runTogether, whenTold } from './together.ts';

const args = parseArgs(process.argv.slice(2), ['kind', 'table-mb', 'procs']);
const KIND = args.options.get('kind') ?? 'mem';
if (KIND !== 'alu' && KIND !== 'mem') throw new Error('--kind is alu or mem');
const TABLE_MB = Number(args.options.get('table-mb') ?? 4);
const cores = os.availableParallelism();
const PROCS = (args.options.get('procs') ?? [1, 2, 4, 8, 16].filter((n) => n <= cores).join(',')).split(',').map(Number);

if (args.flags.has('child')) {
  const n = (TABLE_MB * 1e6) >> 2;
  const table = new Int32Array(n).map((_, i) => Math.imul(i, 2654435761));
  let x = 1, acc = 0;
  const work = (): void => {
    if (KIND === 'alu') {
      for (let i = 0; i < 3e8; i++) (x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (acc += x & 7);
    } else {
      for (let i = 0; i < 4e7; i++) (x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (acc += table[(x >>> 0) % n]);
    }
  };
  work(); // compiled and warm before the clock starts
  await whenTold(work);
}

const what = KIND === 'alu' ? 'an integer loop' : `random reads in a ${TABLE_MB} MB table`;
console.log(`${what}, N processes at once; ${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}:\n`);
console.log('| processes | seconds | speed-up |\n| ---: | ---: | ---: |');
let one: number | undefined;
for (const n of PROCS) {
  const s = await runTogether(n, () => ['--child', '--kind', KIND, '--table-mb', String(TABLE_MB)]);
  one ??= s;
  console.log(`| ${n} | ${s.toFixed(2)} | ${((one * n) / s).toFixed(2)}x |`);
}
