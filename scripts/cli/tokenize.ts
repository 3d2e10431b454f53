// npm run -s cli -- tokenize --model DIR [--jsonl] [--threads N]
//   text on stdin              -> one JSON array of ids
//   --jsonl: each stdin line a JSON string -> one JSON array of ids per line, in order
//   --threads N (with --jsonl): encode on N worker threads, the page's pool; default 1
// DIR: a folder with tokenizer.json (+ tokenizer_config.json: Llama/Qwen2 families), or GPT-2's
// vocab.json + merges.txt; nothing else is read. "<|endoftext|>", "<|im_start|>" and any other
// added token's text in the input is ordinary text.
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers.ts';
import { unpack } from '../../src/lib/tokenizer/packed-ids.ts';
import { parseArgs, readStdin, requireOption } from './args.ts';
import { loadTokenizerDir } from '../fixtures/tokenizer-dir.ts';

/** stdin lines -> texts; a final newline ends the last line rather than starting an empty one. */
function parseJsonLines(input: string): string[] {
  const lines = input.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`stdin line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 60))}`);
    }
    if (typeof value !== 'string') throw new Error(`stdin line ${i + 1} is not a JSON string`);
    return value;
  });
}

export async function run(args: string[]): Promise<void> {
  const parsed = parseArgs(args, ['model', 'threads']);
  const dir = requireOption(parsed, 'model');
  const unknown = [...parsed.flags].filter((f) => f !== 'jsonl');
  if (unknown.length > 0 || parsed.positional.length > 0) {
    throw new Error(`tokenize takes --model DIR [--jsonl] [--threads N]; unexpected ${[...unknown.map((f) => '--' + f), ...parsed.positional].join(' ')}`);
  }
  const threads = Number(parsed.options.get('threads') ?? 1);
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads needs a whole number >= 1');
  const tok = await loadTokenizerDir(dir);
  const input = await readStdin();

  if (!parsed.flags.has('jsonl')) {
    process.stdout.write(JSON.stringify(tok.encode(input)) + '\n');
    return;
  }
  const texts = parseJsonLines(input);
  let ids: ArrayLike<number>[];
  if (threads > 1) {
    // No warm-up: the texts are here already, and a sample first would only delay them.
    const pool = createNodeTokenizerPool(tok.tables, { size: threads, warmUpChars: 0 });
    try {
      ids = unpack(await pool.encodeAll(texts));
    } finally {
      pool.terminate();
    }
  } else ids = texts.map((t) => tok.encode(t));
  const out = ids.map((x) => JSON.stringify(Array.from(x))).join('\n');
  process.stdout.write(out + (ids.length > 0 ? '\n' : ''));
}
