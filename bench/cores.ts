// npm run bench:cores [-- --kind alu|mem --table-mb 4 --procs 1,2,4,8]
// What this machine gives N copies of plain JavaScript running at once, as a ceiling to read the
// tokenizer pool's speed-up against (bench/tokenizer.ts): N processes, each with its own V8 and
// its work compiled before the clock starts, all told to go together. `alu`: an integer loop
// (the cores alone); `mem`: random reads in a table of its own (the caches and memory too, as
// the tokenizer's tables and merge cache are). The speed-up is N times one process's time over
// the time until the last of the N finished: below N where the cores slow down when all are busy
// (shared caches, memory bandwidth, turbo clocks, a virtual machine's neighbours).
import os from 'node:os';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { parseArgs } from '../scripts/cli/args.ts';

const args = parseArgs(process.argv.slice(2), ['kind', 'table-mb', 'procs', 'child']);
const KIND = args.options.get('kind') ?? 'mem';
if (KIND !== 'alu' && KIND !== 'mem') throw new Error('--kind is alu or mem');
const TABLE_MB = Number(args.options.get('table-mb') ?? 4);
const cores = os.availableParallelism();
const PROCS = (args.options.get('procs') ?? [1, 2, 4, 8, 16].filter((n) => n <= cores).join(',')).split(',').map(Number);

if (args.options.has('child')) {
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
  process.stdout.write('ready\n');
  for await (const _ of readline.createInterface({ input: process.stdin })) break;
  const start = performance.timeOrigin + performance.now();
  work();
  process.stdout.write(JSON.stringify({ start, end: performance.timeOrigin + performance.now(), acc }) + '\n');
  process.exit(0);
}

/** Seconds from the first of n processes starting its work to the last finishing. */
async function together(n: number): Promise<number> {
  const kids = Array.from({ length: n }, () =>
    spawn(process.execPath, [...process.execArgv, process.argv[1], '--child', '--kind', KIND, '--table-mb', String(TABLE_MB)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = kids.map((k) => readline.createInterface({ input: k.stdout! })[Symbol.asyncIterator]());
  await Promise.all(lines.map((l) => l.next()));
  for (const k of kids) k.stdin!.write('go\n');
  const times = (await Promise.all(lines.map((l) => l.next()))).map((r) => JSON.parse(r.value as string) as { start: number; end: number });
  return (Math.max(...times.map((t) => t.end)) - Math.min(...times.map((t) => t.start))) / 1000;
}

const what = KIND === 'alu' ? 'an integer loop' : `random reads in a ${TABLE_MB} MB table`;
console.log(`${what}, N processes at once; ${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}:\n`);
console.log('| processes | seconds | speed-up |\n| ---: | ---: | ---: |');
let one: number | undefined;
for (const n of PROCS) {
  const s = await together(n);
  one ??= s;
  console.log(`| ${n} | ${s.toFixed(2)} | ${((one * n) / s).toFixed(2)}x |`);
}
