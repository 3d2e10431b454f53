// `npm run -s cli -- stats [--rule huggingtweets|multilingual] [--no-replies] ARCHIVE...`
// -> JSON {"rule", "excludeReplies", "users": [{username, displayName, downloaded, retweets, short, kept, replies}]}
// Archives are read as Blobs (fs.openAsBlob): zip.js slices them, nothing is read whole.
import { openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { readArchive } from '../../src/lib/archive/read-archive.ts';
import { buildDataset } from '../../src/lib/dataset/table.ts';
import { DEFAULT_RULE, RULES, type Rule } from '../../src/lib/dataset/types.ts';
import { parseArgs } from './args.ts';

export async function run(args: string[]): Promise<void> {
  const p = parseArgs(args, ['rule', 'max-member-bytes']);
  const unknown = [...p.flags].filter((f) => f !== 'no-replies');
  if (unknown.length > 0) throw new Error(`unknown option --${unknown[0]}`);
  const rule = (p.options.get('rule') ?? DEFAULT_RULE) as Rule;
  if (!RULES.includes(rule)) throw new Error(`--rule must be one of: ${RULES.join(', ')}`);
  if (p.positional.length === 0) throw new Error('stats needs at least one ARCHIVE.zip');
  const maxOpt = p.options.get('max-member-bytes');
  const maxMemberBytes = maxOpt === undefined ? undefined : Number(maxOpt);
  if (maxMemberBytes !== undefined && !(maxMemberBytes > 0)) throw new Error('--max-member-bytes must be a positive number');

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
    contents.push(await readArchive(blob, basename(path), { maxMemberBytes }));
  }
  const dataset = buildDataset(contents, rule, { excludeReplies: p.flags.has('no-replies') });
  process.stdout.write(`${JSON.stringify({ rule: dataset.rule, excludeReplies: dataset.excludeReplies, users: dataset.users }, null, 2)}\n`);
}
