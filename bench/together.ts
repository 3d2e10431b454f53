// N copies of a bench at the same moment, each in a process of its own (bench:tokenizer's split
// column, bench:cores): each copy gets ready (loads, compiles), then all are told to go at once,
// and the time runs from the first start to the last end. The copies are this same script run
// again with the arguments given; it calls whenTold() with its work.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

/** Seconds from the first of n copies starting its work to the last finishing; copy i gets args(i). */
export async function runTogether(n: number, args: (i: number) => string[]): Promise<number> {
  const copies = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [...process.execArgv, process.argv[1], ...args(i)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = copies.map((c) => readline.createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  const next = async (i: number): Promise<string> => {
    const r = await lines[i].next();
    if (r.done) throw new Error(`copy ${i + 1} of ${n} ended early`);
    return r.value;
  };
  await Promise.all(copies.map((_, i) => next(i)));
  for (const c of copies) c.stdin!.write('go\n');
  const times = (await Promise.all(copies.map((_, i) => next(i)))).map((l) => JSON.parse(l) as { start: number; end: number });
  return (Math.max(...times.map((t) => t.end)) - Math.min(...times.map((t) => t.start))) / 1000;
}

/** In a copy: says it is ready, waits to be told to go, does `work` and reports when it ran, then exits. */
export async function whenTold(work: () => void): Promise<never> {
  const lines = readline.createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const _ of lines) break;
  const start = performance.timeOrigin + performance.now();
  work();
  process.stdout.write(JSON.stringify({ start, end: performance.timeOrigin + performance.now() }) + '\n');
  process.exit(0);
}
