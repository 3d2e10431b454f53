// A display name made to hurt a model card, what a reader must see of it, and a check that
// text in a card is inert. Shared by the card's unit test and the page's bundle test.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** HTML, a Markdown link, line breaks, a heading, a fence, front-matter lines, controls, noncharacters, a lone surrogate, an RTL override. */
export const HOSTILE_NAME =
  'Eve <img src=x onerror=alert(1)> | [x](javascript:alert(1))\n## How to use\n```\n---\nlanguage: xx\r\n' +
  '<script>&lt;*_b_*\x00\x07\x1b\x7f\u0085\ufffe\uffff\ud800\u202eevil\u2028end #';
/** What a reader must see: breaks as one space; controls, noncharacters, the lone surrogate and the override as U+FFFD. */
export const HOSTILE_NAME_SEEN =
  'Eve <img src=x onerror=alert(1)> | [x](javascript:alert(1)) ## How to use ``` --- language: xx ' +
  '<script>&lt;*_b_*\uFFFD\uFFFD\uFFFD\uFFFD \uFFFD\uFFFD\uFFFD\uFFFDevil end #';

/** The lines of a card that open a block of their own kind: only the card's own may. */
export const blockLines = (card: string) => card.split('\n').filter((l) => /^(#|```|---|language:|<)/.test(l));
/** The card's own block lines, the title heading (the names) aside; one language code (each test says which). */
export const CARD_BLOCKS = [
  '---', expect.stringMatching(/^language: "[a-z]{2,3}"$/), '---', expect.stringMatching(/^# /), '## How does it work?', '## Training data',
  '## Training procedure', '## How to use', '```python', '```', '## Limitations and bias',
];

/**
 * Checks `e` is inert inline Markdown/HTML and returns the text it renders as: every Markdown
 * metacharacter backslash-escaped, `<`/`>` only as entities, `&` opening no entity but &amp;,
 * `_` only between letters or digits (where CommonMark opens no emphasis), no line break or
 * control character, and in a table cell no bare `|`.
 */
export function renderedText(e: string, cell: boolean): string {
  let seen = '';
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (c === '\\') {
      expect(e[i + 1], `${e} @${i}`).toMatch(/^[!-/:-@[-`{-~]$/);
      seen += e[++i];
    } else if (c === '&') {
      const ent = /^&(lt|gt|amp);/.exec(e.slice(i));
      expect(ent || !/^&#?[a-z0-9]+;/i.test(e.slice(i)), `${e} @${i}`).toBeTruthy();
      if (ent) (seen += { lt: '<', gt: '>', amp: '&' }[ent[1]]), (i += ent[0].length - 1);
      else seen += c;
    } else {
      expect('<>`*[]#$~\n\r\u0085\u2028\u2029'.includes(c), `${JSON.stringify(c)} raw in ${e}`).toBe(false);
      expect(c, e).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
      if (c === '_') expect(/[\p{L}\p{N}]/u.test(e[i - 1] ?? '') && /[\p{L}\p{N}]/u.test(e[i + 1] ?? ''), `bare _ in ${e}`).toBe(true);
      if (cell) expect(c, `bare | in cell ${e}`).not.toBe('|');
      seen += c;
    }
  }
  return seen;
}

/** The card's front matter as PyYAML (what the Hub's Python tools use) reads it. */
export function pyYaml(front: string): unknown {
  return python('import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())))', front);
}

export function python(script: string, input: string): unknown {
  const r = spawnSync('python3', ['-c', script], { input, encoding: 'utf8' });
  expect(r.error ?? r.stderr, 'python3 with PyYAML').toBe('');
  return JSON.parse(r.stdout);
}

/** The front matter between the card's opening and closing `---` lines. */
export const frontMatter = (card: string) => card.slice(4, card.indexOf('\n---\n'));
