// Tweet cleaning exactly as huggingtweets did it (huggingtweets-demo.ipynb: fix_text,
// clean_tweet with allow_new_lines=False, boring_tweet). Both rules clean the same way.

/**
 * Python's whitespace (str.split() and re's \s on str): JS's \s differs (it lacks
 * \x1c-\x1f and \x85, and has \ufeff), so the class is spelled out.
 */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACES = new RegExp(`[${PY_SPACE}]+`);
const NOT_SPACE = `[^${PY_SPACE}]+`;

/** huggingtweets' clean_tweet substitutions, in its order, for 'http:' then 'https:'. */
const URL_PASSES: RegExp[] = ['http:', 'https:'].flatMap((w) => [
  new RegExp(` ${w}${NOT_SPACE}`, 'g'), //  removes white space before url
  new RegExp(`${w}${NOT_SPACE} `, 'g'), //  in case a tweet starts with a url
  new RegExp(`\\n${w}${NOT_SPACE} `, 'g'), // in case the url is on a new line
  new RegExp(`\\n${w}${NOT_SPACE}`, 'g'), //  in case the url is alone on a new line
  new RegExp(`${w}${NOT_SPACE}`, 'g'), //    any other case
]);

/**
 * fix_text: `&amp;` first, then `&lt;`, then `&gt;`, one after the other, so `&amp;lt;`
 * ends as `<` (huggingtweets' order, kept exactly; the archive escapes only these three).
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text; // most tweets: skip three scans
  return text.replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
}

/** Python's str.split(): whitespace-separated tokens, no empty ones. */
export function splitWords(text: string): string[] {
  return text.split(PY_SPACES).filter((w) => w !== '');
}

/** The training text: entities decoded, http:/https: URLs removed, whitespace collapsed to single spaces. */
export function cleanText(fullText: string): string {
  let t = decodeEntities(fullText);
  // Every pass needs "http:" or "https:"; most tweets have neither.
  if (t.includes('http')) for (const pass of URL_PASSES) t = t.replace(pass, '');
  // re.sub(' +', ' ') then ' '.join(t.split()) and strip(): the last two decide alone.
  return splitWords(t).join(' ');
}

/** boring_tweet's set-aside test: the token contains `http`, `@` or `#` (case-insensitive). */
export function isBoringToken(word: string): boolean {
  return word.includes('@') || word.includes('#') || word.toLowerCase().includes('http');
}

/** Retweets as huggingtweets' server counted them: the text starts with `RT @`. */
export function isRetweet(fullText: string): boolean {
  return fullText.startsWith('RT @');
}

const PY_SPACE_RE = new RegExp(`[${PY_SPACE}]`);
/** Whitespace cleanText would change: a Python space other than ' ', two in a row, or one at an end. */
const ODD_SPACING = new RegExp(`[${PY_SPACE.replace(' ', '')}]|  |^ | $`);

/**
 * The explorer's search: whether `search` (lower case) is in a tweet as the archive has it,
 * or in its cleaned text. Cleaning costs microseconds a tweet, so it is skipped where it
 * cannot find more: cleaning decodes entities into `&`, `<` and `>` (only a search holding
 * one of them can gain), collapses odd spacing (only a search holding a space can gain)
 * and cuts URLs out, gluing what was around them (any search can gain: always cleaned).
 */
export function searchMatcher(search: string): (fullText: string) => boolean {
  const entities = /[&<>]/.test(search);
  const spaces = PY_SPACE_RE.test(search);
  return (fullText) => {
    if (fullText.toLowerCase().includes(search)) return true;
    const mayGain = fullText.includes('http') || (entities && fullText.includes('&')) || (spaces && ODD_SPACING.test(fullText));
    return mayGain && cleanText(fullText).toLowerCase().includes(search);
  };
}
