// `npm run -s cli -- stats [--rule huggingtweets|multilingual] [--no-replies] [--max-member-bytes N] [--budget-bytes N] ARCHIVE...`
// -> JSON {"rule", "excludeReplies", "users": [{username, displayName, downloaded, retweets, short, kept, replies}],
//    "languages": {code: kept tweets}} (the kept tweets' languages, as the model card counts them: dataset/languages.ts)
// Archives are read as Blobs (fs.openAsBlob): zip.js slices them, nothing is read whole.
// All of them share one inflate budget, as the page's archives do (src/lib/archive/budget.ts);
// what was skipped (unsafe member names) goes to stderr as `warning:` lines.
import { openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InflateBudget } from '../../src/lib/archive/budget.ts';
import { readArchive } from '../../src/lib/archive/read-archive.ts';
import { buildDataset } from '../../src/lib/dataset/table.ts';
import { DEFAULT_RULE, RULES, type Rule } from '../../src/lib/dataset/types.ts';
import { keptLanguages } from '../../src/lib/dataset/languages.ts';
import { parseArgs } from './args.ts';

export async function run(args: string[]): Promise<void> {
  const p = parseArgs(args, ['rule', 'max-member-bytes', 'budget-bytes']);
  const unknown = [...p.flags].filter((f) => f !== 'no-replies');
  if (unknown.length > 0) throw new Error(`unknown option --${unknown[0]}`);
  const rule = (p.options.get('rule') ?? DEFAULT_RULE) as Rule;
  if (!RULES.includes(rule)) throw new Error(`--rule must be one of: ${RULES.join(', ')}`);
  if (p.positional.length === 0) throw new Error('stats needs at least one ARCHIVE.zip');
  const maxOpt = p.options.get('max-member-bytes');
  const maxMemberBytes = maxOpt === undefined ? undefined : Number(maxOpt);
  if (maxMemberBytes !== undefined && !(maxMemberBytes > 0)) throw new Error('--max-member-bytes must be a positive number');
  const budgetOpt = p.options.get('budget-bytes');
  const budgetBytes = budgetOpt === undefined ? undefined : Number(budgetOpt);
  if (budgetBytes !== undefined && !(budgetBytes > 0)) throw new Error('--budget-bytes must be a positive number');
  const budget = new InflateBudget(budgetBytes);

  const contents = [];
  for (const path of p.positional) {
    let blob: Blob;
    try {
      if (!statSync(path).isFile()) throw new Error('not a file');
      blob = await openAsBlob(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`cannot open ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
    }
    const content = await readArchive(blob, basename(path), { maxMemberBytes, budget });
    for (const w of content.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    contents.push(content);
  }
  const dataset = buildDataset(contents, rule, { excludeReplies: p.flags.has('no-replies') });
  const languages = keptLanguages(dataset.tweets);
  process.stdout.write(`${JSON.stringify({ rule: dataset.rule, excludeReplies: dataset.excludeReplies, users: dataset.users, languages }, null, 2)}\n`);
}
