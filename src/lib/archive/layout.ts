// Which zip members make up an archive: the tweet files (every layout of docs/design.md#archive-layouts),
// note-tweet.js, account.js and manifest.js, wherever the archive's root sits in the zip.

/** What we look for, as told to the person when nothing is found. */
export const TWEET_FILE_NAMES = ['data/tweets.js', 'data/tweets-partN.js', 'data/tweet.js', 'data/tweet-partN.js'];

// tweets.js, tweets-part1.js, tweet.js (older archives), tweet-part1.js. Not tweet-headers.js,
// deleted-tweets.js, note-tweet.js or community-tweet.js: the basename is matched whole.
const TWEET_FILE = /^tweets?(?:-part(\d+))?\.js$/;

export interface MemberRef {
  /** The name as stored in the zip. */
  filename: string;
}

export interface ArchiveLayout<M extends MemberRef> {
  /** Names no archive has (`../`, absolute, backslashes, NUL): skipped, to be told. */
  unsafe: string[];
  tweetFiles: M[];
  noteFiles: M[];
  account?: M;
  manifest?: M;
}

/** The path inside the archive: data/ kept, a top-level folder (if any) dropped. Undefined for junk. */
function archivePath(filename: string): string | undefined {
  const parts = filename.split('/');
  const base = parts[parts.length - 1];
  // macOS zips carry resource forks under __MACOSX/ and as ._name files.
  if (parts.includes('__MACOSX') || base.startsWith('._') || base === '') return undefined;
  const dataAt = parts.lastIndexOf('data');
  if (dataAt >= 0 && dataAt === parts.length - 2) return `data/${base}`;
  // 2019 archives keep tweet.js at the root, possibly inside one top-level folder.
  if (parts.length <= 2) return base;
  return undefined;
}

/**
 * A name that climbs out of the folder it is unzipped to (`..`), starts at a root (`/`, `C:`),
 * uses Windows separators or holds a NUL: no export writes one, so it is someone's trap.
 */
export function isUnsafeName(filename: string): boolean {
  return filename.startsWith('/') || /^[a-zA-Z]:/.test(filename) || /[\\\u0000]/.test(filename) || filename.split('/').includes('..');
}

function partNumber(filename: string): number {
  const base = filename.slice(filename.lastIndexOf('/') + 1);
  const m = TWEET_FILE.exec(base);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

/**
 * Finds the members we read. `manifestFiles` (from data/manifest.js, when present) adds
 * tweet files the name patterns would miss, and sets the order.
 */
export function findMembers<M extends MemberRef>(members: M[], manifestFiles: string[] = []): ArchiveLayout<M> {
  const layout: ArchiveLayout<M> = { unsafe: [], tweetFiles: [], noteFiles: [] };
  const listed = new Set(manifestFiles.map((f) => f.replace(/^\.?\//, '')));
  for (const m of members) {
    if (isUnsafeName(m.filename)) {
      layout.unsafe.push(m.filename);
      continue;
    }
    const path = archivePath(m.filename);
    if (path === undefined) continue;
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (TWEET_FILE.test(base) || listed.has(path)) layout.tweetFiles.push(m);
    else if (/^note-tweet(?:-part\d+)?\.js$/.test(base)) layout.noteFiles.push(m);
    else if (base === 'account.js') layout.account ??= m;
    else if (base === 'manifest.js') layout.manifest ??= m;
  }
  // The manifest's order first; then tweets before tweet, then by part number. The keys are
  // computed once per member (a Map, not indexOf): a manifest may list thousands of files.
  const position = new Map<string, number>();
  for (const path of listed) position.set(path, position.size);
  const keyed = layout.tweetFiles.map((m) => ({
    m,
    listedAt: position.get(archivePath(m.filename) ?? '') ?? position.size,
    rank: /(^|\/)tweets[-.]/.test(m.filename) ? 0 : 1,
    part: partNumber(m.filename),
  }));
  keyed.sort((a, b) => a.listedAt - b.listedAt || a.rank - b.rank || a.part - b.part || (a.m.filename < b.m.filename ? -1 : a.m.filename > b.m.filename ? 1 : 0));
  layout.tweetFiles = keyed.map((k) => k.m);
  return layout;
}

/** Tweet file names listed by manifest.js: dataTypes.tweets.files[] or (older) dataTypes.tweet.files[]. */
export function manifestTweetFiles(manifest: unknown): string[] {
  const types = (manifest as { dataTypes?: Record<string, { files?: { fileName?: unknown }[] }> } | null)?.dataTypes;
  if (!types || typeof types !== 'object') return [];
  const out: string[] = [];
  for (const key of ['tweets', 'tweet']) {
    for (const f of types[key]?.files ?? []) if (typeof f?.fileName === 'string') out.push(f.fileName);
  }
  return out;
}

/** manifest.js' userInfo {userName, displayName, accountId}: the account when account.js is missing. */
export function manifestAccount(manifest: unknown): { username: string; displayName: string; accountId?: string } | undefined {
  const info = (manifest as { userInfo?: Record<string, unknown> } | null)?.userInfo;
  if (!info || typeof info.userName !== 'string' || info.userName === '') return undefined;
  const displayName = typeof info.displayName === 'string' && info.displayName !== '' ? info.displayName : info.userName;
  return { username: info.userName, displayName, ...(typeof info.accountId === 'string' ? { accountId: info.accountId } : {}) };
}

/** Parses a small `window.__THAR_CONFIG = {...}` / `window.YTD.x.part0 = [...]` file whole. */
export function parseAssignedJson(text: string): unknown {
  const start = text.search(/[[{]/);
  if (start < 0) throw new SyntaxError('no JSON value');
  return JSON.parse(text.slice(start).replace(/;\s*$/, ''));
}
