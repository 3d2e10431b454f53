// The model card of an archive made to hurt: a display name, a username and a picked file's
// name holding HTML, a Markdown link, line breaks, a heading, a fence, front-matter lines,
// control characters, noncharacters, a lone surrogate and an RTL override. The card is what
// people publish, so each must land as literal visible text, on the line it was put on, and
// the front matter must read back (with PyYAML, as the Hub's tools read it) as exactly the
// keys and strings written.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blockLines, CARD_BLOCKS, frontMatter, HOSTILE_NAME, HOSTILE_NAME_SEEN, pyYaml, python, renderedText } from '../helpers/hostile-card.ts';
import { defaultModelName, modelCard, yamlString, type ModelCardInfo } from '../../src/lib/model/model-card.ts';
import { baseModelId } from '../../src/ui/export/card-info.ts';

const NAME = HOSTILE_NAME;
const NAME_SEEN = HOSTILE_NAME_SEEN;
const USER = 'x</a>_[y](z)\nfoo';
const USER_SEEN = 'x</a>_[y](z) foo';
const FILE = '<img src=x onerror=alert(1)>[a](javascript:b)`\n# x.zip';
const BASE = baseModelId('files:' + FILE);
const BASE_SEEN = 'files picked in the browser (<img src=x onerror=alert(1)>[a](javascript:b)` # x.zip)';

/** Each character class YAML 1.1 or a reader trips on, alone, for the front matter. */
const ODD = ['\x00', '\x08\t\n\r', '\x1f', '\x7f', '\x80', '\u0085', '\x9f', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\ud800', '\udfff x', '\u202e', '\u2066', '\\', '"', "'", ': x', '# c', '😀'];

const info = (name: string, user: string, base: string, extra: Partial<ModelCardInfo> = {}): ModelCardInfo => ({
  accounts: [{ username: user, displayName: name, downloaded: 10, retweets: 1, short: 2, kept: 7 }],
  rule: 'huggingtweets',
  baseModel: base,
  modelName: 'tweetforge-test',
  hyperparameters: { 'Learning rate': 0.0001 },
  steps: 1,
  date: '2026-12-06',
  ...extra,
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The hostile card, line by line against the card of placeholder names: the same lines, the same
 * text around each name, and where a name stands, inert text that renders as the name.
 */
function expectInert(card: string, reference: string, seen: Record<string, string>): void {
  const body = (c: string) => c.slice(c.indexOf('\n---\n') + 5).split('\n');
  const [lines, refLines] = [body(card), body(reference)];
  expect(lines.length).toBe(refLines.length);
  const holders = Object.keys(seen);
  refLines.forEach((ref, i) => {
    const parts = ref.split(new RegExp(`(${holders.join('|')})`));
    const re = new RegExp('^' + parts.map((p, j) => (j % 2 ? '(.*?)' : escapeRe(p))).join('') + '$');
    const m = re.exec(lines[i]);
    expect(m, `line ${i}: ${lines[i]}\n  vs ${ref}`).not.toBeNull();
    parts.filter((_, j) => j % 2).forEach((holder, j) => {
      expect(renderedText(m![j + 1], ref.startsWith('| ')), `line ${i}`).toBe(seen[holder]);
    });
  });
}

describe('the model card of a hostile archive', () => {
  it('has python3 with PyYAML to read it back (the tests below need it)', () => {
    expect(spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('writes the display name, username and picked file name as literal text on their own lines', () => {
    const card = modelCard(info(NAME, USER, BASE));
    expect(card).toContain('\nlanguage: "en"\n');
    const reference = modelCard(info('QQNAMEQQ', 'QQUSERQQ', baseModelId('files:QQFILEQQ')));
    expectInert(card, reference, { QQNAMEQQ: NAME_SEEN, QQUSERQQ: USER_SEEN, QQFILEQQ: BASE_SEEN.slice(29, -1) });
    expect(card).not.toMatch(/\p{Cs}|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e\ufffe\uffff]/u);
    // Only the card's own headings start a line with #; nothing starts a fence or front matter.
    expect(blockLines(card)).toEqual(CARD_BLOCKS);
  });

  it('reads back in the front matter as exactly the keys and strings written, language codes filtered', () => {
    // Language codes are archive strings too: only tag-shaped ones reach the YAML, the rest are dropped.
    const card = modelCard(info(NAME, USER, 'distilgpt2', { language: [NAME, ...ODD, 'ja', 'ja\n- x', 'zh-TW', 'en: x', 'ja'], widgetText: NAME }));
    const front = frontMatter(card);
    // One line per key or list item, every string double-quoted on its own line.
    for (const line of front.split('\n')) expect(line).toMatch(/^(\w+:( "([^"\\]|\\.)*"| [\w-]+)?|- ("([^"\\]|\\.)*"|text: "([^"\\]|\\.)*"|[\w-]+))$/);
    expect(front).not.toMatch(/[^\x20-\x7e\n😀]/u);
    expect(pyYaml(front)).toEqual({
      language: ['ja', 'zh-TW'],
      tags: ['huggingtweets', 'tweetforge', 'text-generation'],
      base_model: 'distilgpt2',
      pipeline_tag: 'text-generation',
      widget: [{ text: NAME }],
    });
  });

  it('quotes the widget text and model name in "How to use" as Python literals that read back', () => {
    const card = modelCard(info(NAME, USER, 'distilgpt2', { widgetText: NAME, modelName: `a'b\n\`\`\`` }));
    const code = card.slice(card.indexOf('```python\n') + 10, card.indexOf('\n```\n'));
    const args = python(
      'import sys, ast, json; t = ast.parse(sys.stdin.read()); print(json.dumps([t.body[1].value.keywords[0].value.value, t.body[2].value.args[0].value]))',
      code,
    );
    expect(args).toEqual([`a'b\n\`\`\``, NAME]);
    expect(code.split('\n')).toHaveLength(4);
    // A code span whose fence outruns the name's own backticks, on one line.
    expect(card).toContain("(```` a'b ``` ```` is the folder");
  });

  it('writes ordinary strings as it always did (JSON quoting) and names a bundle with safe characters only', () => {
    for (const s of ['My dream is', 'Say "hi": ok', 'tab\there\nnew line', 'back\\slash', '日本語 😀', '\x01']) {
      expect(yamlString(s)).toBe(JSON.stringify(s));
    }
    expect(defaultModelName([{ username: USER, displayName: NAME, downloaded: 0, retweets: 0, short: 0, kept: 0 }])).toBe('tweetforge-xa_yzfoo');
  });
});
