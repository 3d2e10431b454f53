/**
 * A tokenizer.json's Split regex, written for Oniguruma (what Hugging Face's Rust tokenizers
 * compile it with), rewritten as JavaScript RegExp source for the flags `gu`. Node 20's RegExp
 * lacks inline flag groups, so `(?i:...)` becomes a plain group whose ASCII letters match both
 * cases ('s -> '[sS]), as Tokenizers.js rewrites it; the shorthand classes take Oniguruma's
 * Unicode meaning (\s is White_Space: JavaScript's \s adds U+FEFF and lacks U+0085). The
 * constructs the Hub's byte-level BPE patterns use are covered; anything else (back-references,
 * possessive quantifiers, nested classes, other inline flags) is refused with a line naming it.
 */

const MAX_PATTERN = 10_000;
/** Characters JavaScript lets a backslash escape in a `u` regex. */
const SYNTAX = '^$\\.*+?()[]{}|/';
const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}';

/** Oniguruma escape letter -> JavaScript, outside a class and inside one (null: refused there). */
const ESCAPES: Record<string, [string, string | null]> = {
  s: ['\\p{White_Space}', '\\p{White_Space}'],
  S: ['\\P{White_Space}', '\\P{White_Space}'],
  d: ['\\p{Nd}', '\\p{Nd}'],
  D: ['\\P{Nd}', '\\P{Nd}'],
  w: [`[${WORD}]`, WORD],
  W: [`[^${WORD}]`, null],
  n: ['\\n', '\\n'],
  r: ['\\r', '\\r'],
  t: ['\\t', '\\t'],
  f: ['\\f', '\\f'],
  v: ['\\v', '\\v'],
  A: ['(?<![\\s\\S])', null],
  z: ['(?![\\s\\S])', null],
};

class PatternError extends Error {}

/** Oniguruma pattern -> JavaScript RegExp source (compile it with 'gu'); throws one readable line. */
export function compileOniguruma(pattern: string): string {
  const fail = (why: string): never => {
    throw new PatternError(`tokenizer.json: the Split regex ${JSON.stringify(pattern.slice(0, 80))} ${why}`);
  };
  if (pattern.length > MAX_PATTERN) fail(`is longer than ${MAX_PATTERN} characters`);
  let out = '';
  let fold = false, lastQuantifier = false;
  const folds: boolean[] = [];
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i];
    let atom: string | undefined;
    if (ch === '\\') [atom, i] = escape(pattern, i, false, fail);
    else if (ch === '[') [atom, i] = charClass(pattern, i, fold, fail);
    else if (ch === '(') {
      const group = /^\(\?(?:<[=!]|[:=!])|^\((?!\?)/.exec(pattern.slice(i, i + 4))?.[0];
      folds.push(fold);
      if (pattern.startsWith('(?i:', i)) (out += '(?:'), (fold = true), (i += 4);
      else if (group) (out += group), (i += group.length);
      else fail(`uses the group ${JSON.stringify(pattern.slice(i, i + 4))}, which is not supported`);
      lastQuantifier = false;
      continue;
    } else if (ch === ')') {
      if (folds.length === 0) fail('has an unmatched ")"');
      fold = folds.pop()!;
      out += ')';
      i++;
      lastQuantifier = false;
      continue;
    } else if (ch === '+' || ch === '*' || ch === '?' || ch === '{') {
      if (ch === '+' && lastQuantifier) fail('uses a possessive quantifier, which is not supported');
      const brace = ch === '{' ? /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))?.[0] : undefined;
      if (ch === '{' && !brace) atom = '\\{', i++;
      else {
        const q = brace ?? ch;
        out += q;
        i += q.length;
        lastQuantifier = !(ch === '?' && lastQuantifier); // a lazy '?' ends the quantifier
        continue;
      }
    } else if (ch === '.') (atom = '[^\\n]'), i++;
    else if (ch === '^') (atom = '(?:(?<![\\s\\S])|(?<=\\n))'), i++;
    else if (ch === '$') (atom = '(?:(?=\\n)|(?![\\s\\S]))'), i++;
    else if (ch === '|') (atom = '|'), i++;
    else if (ch === ']' || ch === '}') (atom = '\\' + ch), i++;
    else {
      const cp = String.fromCodePoint(pattern.codePointAt(i)!);
      atom = fold && /^[A-Za-z]$/.test(cp) ? `[${cp.toLowerCase()}${cp.toUpperCase()}]` : cp;
      i += cp.length;
    }
    out += atom;
    lastQuantifier = false;
  }
  if (folds.length > 0) fail('has an unclosed "("');
  let re: RegExp;
  try {
    re = new RegExp(out, 'gu');
  } catch (e) {
    return fail(`does not compile: ${(e as Error).message}`);
  }
  // An empty match would cut nothing and make the scan stand still.
  if (new RegExp(`^(?:${out})`, 'u').test('') || re.test('')) fail('matches the empty string');
  return out;
}

/** The escape at pattern[i] ('\\'), inside a class or not -> [JavaScript, index after it]. */
function escape(pattern: string, i: number, inClass: boolean, fail: (why: string) => never): [string, number] {
  const braced = /^\\([pPx])\{([^}]*)\}/.exec(pattern.slice(i));
  if (braced) {
    const [text, kind, body] = braced;
    return [kind === 'x' ? `\\u{${body}}` : text, i + text.length];
  }
  const fixed = /^\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})/.exec(pattern.slice(i))?.[0];
  if (fixed) return [fixed, i + fixed.length];
  if (i + 1 >= pattern.length) fail('ends with a lone backslash');
  const next = String.fromCodePoint(pattern.codePointAt(i + 1)!);
  const end = i + 1 + next.length;
  const known = ESCAPES[next];
  if (known) {
    const js = known[inClass ? 1 : 0];
    if (js === null) fail(`uses \\${next} inside a character class, which is not supported`);
    return [js!, end];
  }
  if (/[A-Za-z0-9]/.test(next)) fail(`uses the escape \\${next}, which is not supported`);
  return [SYNTAX.includes(next) || next === '-' ? `\\${next}` : next, end];
}

/** The class at pattern[i] ('[') -> [JavaScript, index after it]; under (?i:...) ASCII letters match both cases. */
function charClass(pattern: string, i: number, fold: boolean, fail: (why: string) => never): [string, number] {
  const start = i;
  i++;
  const negated = pattern[i] === '^';
  if (negated) i++;
  let body = '';
  for (let first = true; ; first = false) {
    if (i >= pattern.length) fail('has an unclosed "["');
    const ch = pattern[i];
    if (ch === ']' && !first) break;
    if (ch === '[') fail('uses a nested character class or a POSIX class, which is not supported');
    if (pattern.startsWith('&&', i)) fail('uses a class intersection (&&), which is not supported');
    if (ch === '\\') {
      let part: string;
      [part, i] = escape(pattern, i, true, fail);
      body += part;
      continue;
    }
    const cp = String.fromCodePoint(pattern.codePointAt(i)!);
    body += ch === ']' || ch === '^' ? '\\' + ch : cp;
    i += cp.length;
  }
  i++; // the closing ']'
  if (fold) body += caseCounterparts(body, () => fail(`has a class that does not compile: ${pattern.slice(start, i)}`));
  return [`[${negated ? '^' : ''}${body}]`, i];
}

/** The ASCII letters whose other case the class `[body]` holds but which it lacks itself. */
function caseCounterparts(body: string, fail: () => never): string {
  let member: RegExp;
  try {
    member = new RegExp(`^[${body}]$`, 'u');
  } catch {
    return fail();
  }
  let extra = '';
  for (let c = 0; c < 26; c++) {
    const upper = String.fromCharCode(65 + c), lower = String.fromCharCode(97 + c);
    const hasUpper = member.test(upper), hasLower = member.test(lower);
    if (hasUpper !== hasLower) extra += hasUpper ? lower : upper;
  }
  return extra;
}
