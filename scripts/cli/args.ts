// Tiny argument helpers shared by the CLI commands (no dependency needed for this).

export interface ParsedArgs {
  flags: Set<string>;
  options: Map<string, string>;
  positional: string[];
}

/** Splits args into --flags, --options VALUE and positionals; `valued` names the options that take a value. */
export function parseArgs(args: string[], valued: string[]): ParsedArgs {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (valued.includes(name)) {
        const value = inline ?? args[++i];
        if (value === undefined) throw new Error(`--${name} needs a value`);
        options.set(name, value);
      } else flags.add(name);
    } else positional.push(a);
  }
  return { flags, options, positional };
}

export function requireOption(p: ParsedArgs, name: string): string {
  const v = p.options.get(name);
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

/** Reads all of stdin as UTF-8 text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
