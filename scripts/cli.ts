// tweetforge's headless CLI: the same modules as the page's workers, run in Node.
//   npm run -s cli -- stats [--rule huggingtweets|multilingual] [--budget-bytes N] ARCHIVE...
//   npm run -s cli -- tokenize --model DIR [--jsonl]
//   npm run -s cli -- score --model DIR
//   npm run -s cli -- generate --model DIR --prompt TEXT --max-new-tokens N --greedy
// Each command lives in scripts/cli/<command>.ts and exports run(args).
// Errors go to stderr as one readable line, with a non-zero exit.

const COMMANDS = ['stats', 'tokenize', 'score', 'generate'] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `usage: npm run -s cli -- <${COMMANDS.join('|')}> [options]
  stats [--rule huggingtweets|multilingual] [--no-replies] [--max-member-bytes N] [--budget-bytes N] ARCHIVE...
  tokenize --model DIR [--jsonl]            (text on stdin)
  score --model DIR                         (text on stdin)
  generate --model DIR --prompt TEXT --max-new-tokens N --greedy`;

export interface CliModule {
  run(args: string[]): Promise<void>;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new Error(`unknown command "${command}"; expected one of: ${COMMANDS.join(', ')}`);
  }
  const mod = (await import(`./cli/${command as Command}.ts`)) as CliModule;
  await mod.run(args);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
});
