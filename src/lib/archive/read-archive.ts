// readArchive: a Twitter/X archive zip (any Blob: a browser File, Node's fs.openAsBlob)
// -> its account and raw tweets. zip.js reads the central directory with Blob slices, so
// a multi-GB archive full of media is never loaded whole; only the members we need are
// inflated, each streamed through a byte counter (the cap) and the entry splitter.
import { BlobReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';
import { InflateBudget, type BudgetMeter } from './budget.ts';
import { EntrySplitter, parseEntry } from './entry-splitter.ts';
import { toAccount, toNoteTweet, toRawTweet, type NoteTweet } from './entries.ts';
import { ArchiveError } from './errors.ts';
import { formatBytes } from '../bytes.ts';
import { findMembers, manifestAccount, type ArchiveLayout, manifestTweetFiles, parseAssignedJson, TWEET_FILE_NAMES } from './layout.ts';
import { joinNoteTweets } from './note-join.ts';
import { TweetTable } from './tweet-table.ts';
import type { Account, ArchiveContent, ReadOptions, ReadProgress } from './types.ts';

export type { Account, ArchiveContent, RawTweet, ReadOptions, ReadProgress } from './types.ts';

/** Default cap on one tweet file's inflated size: far above any real account, far below a zip bomb. */
export const DEFAULT_MAX_MEMBER_BYTES = 2 * 1024 ** 3;
/** manifest.js and account.js are a few KB; they get a smaller cap. */
const SMALL_MEMBER_BYTES = 16 * 1024 ** 2;

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];

export async function readArchive(zip: Blob, name: string, opts: ReadOptions = {}): Promise<ArchiveContent> {
  const maxMember = opts.maxMemberBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  const meter = (opts.budget ?? new InflateBudget()).meter(name);
  // Names are checked by findMembers, which skips the unsafe ones instead of refusing the zip.
  const reader = new ZipReader(new BlobReader(zip), { useWebWorkers: false, filenameValidation: 'tolerant' });
  try {
    const files = (await listEntries(reader, zip, name)).filter((e): e is FileEntry => !e.directory);
    let layout = findMembers(files);
    const warnings = layout.unsafe.map((f) => `${name}: skipped ${JSON.stringify(f)}: an unsafe name for a file in a zip`);
    refuseEncrypted(layout, name);
    let manifestFiles: string[] = [];
    let fromManifest: Account | undefined;
    if (layout.manifest) {
      const text = await inflateText(layout.manifest, Math.min(maxMember, SMALL_MEMBER_BYTES), meter, opts.signal);
      try {
        const manifest = parseAssignedJson(text);
        manifestFiles = manifestTweetFiles(manifest);
        fromManifest = manifestAccount(manifest);
      } catch {
        // A broken manifest is no reason to refuse the archive: the file names still tell.
      }
      if (manifestFiles.length > 0) layout = findMembers(files, manifestFiles);
      refuseEncrypted(layout, name);
    }
    if (layout.tweetFiles.length === 0) {
      throw new ArchiveError('no-tweet-files', `${name} holds no tweet files: looked for ${TWEET_FILE_NAMES.join(', ')} (also inside a top-level folder)`);
    }

    const account = layout.account
      ? await readAccount(layout.account, Math.min(maxMember, SMALL_MEMBER_BYTES), meter, opts.signal)
      : (fromManifest ?? fallbackAccount(name));

    const progress: ReadProgress = {
      archive: name,
      bytesRead: 0,
      bytesTotal: [...layout.tweetFiles, ...layout.noteFiles].reduce((s, e) => s + e.compressedSize, 0),
      tweets: 0,
    };
    const report = () => opts.onProgress?.({ ...progress });
    report();

    const tweets = new TweetTable();
    for (const member of layout.tweetFiles) {
      const done = progress.bytesRead;
      await streamEntries(member, maxMember, meter, opts.signal, (bytes, index, offset) => {
        meter.entry();
        tweets.push(toRawTweet(parseEntry(member.filename, bytes, index, offset), member.filename, index));
        progress.tweets = tweets.length;
        if ((tweets.length & 1023) === 0) report();
      }, (compressed) => {
        progress.bytesRead = done + compressed;
        report();
      });
      progress.bytesRead = done + member.compressedSize;
    }
    if (tweets.length === 0) {
      const names = layout.tweetFiles.map((m) => m.filename).join(', ');
      throw new ArchiveError('no-tweets', `${name}: the tweet files (${names}) hold no tweets`);
    }

    const notes: NoteTweet[] = [];
    for (const member of layout.noteFiles) {
      const done = progress.bytesRead;
      await streamEntries(member, maxMember, meter, opts.signal, (bytes, index, offset) => {
        meter.entry();
        notes.push(toNoteTweet(parseEntry(member.filename, bytes, index, offset), member.filename, index));
      }, (compressed) => {
        progress.bytesRead = done + compressed;
      });
      progress.bytesRead = done + member.compressedSize;
    }
    joinNoteTweets(tweets, notes);
    report();
    return { name, account, tweets, warnings, charged: meter.charged };
  } catch (e) {
    meter.release();
    // Several archives load at once: every message names the one at fault.
    if (e instanceof ArchiveError && !e.message.startsWith(name)) throw new ArchiveError(e.code, `${name}: ${e.message}`, e.file);
    throw e;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

async function listEntries(reader: ZipReader<unknown>, zip: Blob, name: string): Promise<Entry[]> {
  try {
    return await reader.getEntries();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (/encrypted/i.test(why)) throw encrypted(name);
    // Without its central directory a zip that starts like one was cut short.
    const head = new Uint8Array(await zip.slice(0, 4).arrayBuffer());
    const looksLikeZip = head.length === 4 && ZIP_LOCAL_HEADER.every((b, i) => head[i] === b);
    if (looksLikeZip) throw new ArchiveError('truncated', `${name} is a truncated zip (${why}): was the download complete?`);
    throw new ArchiveError('not-zip', `${name} is not a zip file: expected your Twitter/X archive (.zip)`);
  }
}

function encrypted(name: string): ArchiveError {
  return new ArchiveError('encrypted', `${name} is encrypted (password-protected): export the archive again without a password`);
}

/** An encrypted member we read would fail to inflate as "damaged": say what it is instead. */
function refuseEncrypted(layout: ArchiveLayout<FileEntry>, name: string): void {
  const read = [layout.manifest, layout.account, ...layout.tweetFiles, ...layout.noteFiles];
  if (read.some((f) => f?.encrypted)) throw encrypted(name);
}

function fallbackAccount(name: string): Account {
  // No account.js: the file name is the best name we have.
  const username = name.replace(/^.*[\\/]/, '').replace(/\.zip$/i, '') || 'unknown';
  return { username, displayName: username };
}

async function readAccount(member: FileEntry, cap: number, meter: BudgetMeter, signal?: AbortSignal): Promise<Account> {
  const text = await inflateText(member, cap, meter, signal);
  let json: unknown;
  try {
    json = parseAssignedJson(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ArchiveError('bad-json', `${member.filename}: broken JSON: ${why}`, member.filename);
  }
  return toAccount(json, member.filename);
}

function tooLarge(member: FileEntry, cap: number): ArchiveError {
  return new ArchiveError('too-large', `${member.filename} inflates past the cap of ${formatBytes(cap, 'binary')} per file: refusing to read it`, member.filename);
}

/**
 * Inflates one member into `onChunk`, counting inflated bytes against `cap` and the budget.
 * `onCompressed` receives the compressed bytes consumed so far (zip.js' progress).
 */
async function inflate(member: FileEntry, cap: number, meter: BudgetMeter, signal: AbortSignal | undefined,
  onChunk: (chunk: Uint8Array) => void, onCompressed?: (bytes: number) => void): Promise<void> {
  // The central directory's size can lie; it is only a shortcut for an early refusal.
  if (member.uncompressedSize > cap) throw tooLarge(member, cap);
  let inflated = 0;
  let failure: unknown;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      try {
        signal?.throwIfAborted();
        inflated += chunk.length;
        if (inflated > cap) throw tooLarge(member, cap);
        meter.inflate(chunk.length);
        onChunk(chunk);
      } catch (e) {
        failure = e;
        throw e;
      }
    },
  });
  try {
    await member.getData(sink, { signal, onprogress: onCompressed ? (p) => onCompressed(p) : undefined });
  } catch (e) {
    if (failure !== undefined) throw failure;
    if (signal?.aborted) throw signal.reason;
    if (e instanceof ArchiveError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ArchiveError('truncated', `${member.filename} could not be inflated (${why}): the zip is damaged or truncated`, member.filename);
  }
}

async function inflateText(member: FileEntry, cap: number, meter: BudgetMeter, signal?: AbortSignal): Promise<string> {
  const chunks: Uint8Array[] = [];
  await inflate(member, cap, meter, signal, (c) => chunks.push(c.slice()));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(concat(chunks));
  } catch {
    throw new ArchiveError('not-utf8', `${member.filename} is not UTF-8 text`, member.filename);
  }
}

async function streamEntries(member: FileEntry, cap: number, meter: BudgetMeter, signal: AbortSignal | undefined,
  onEntry: (bytes: Uint8Array, index: number, offset: number) => void, onCompressed: (bytes: number) => void): Promise<void> {
  const splitter = new EntrySplitter(member.filename, onEntry);
  await inflate(member, cap, meter, signal, (chunk) => splitter.push(chunk), onCompressed);
  // An empty or blank part file (tweets-part1.js of 0 bytes) is a part with no tweets.
  if (!splitter.blank) splitter.end();
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
