// bench:ingest's floor: unzip the same members readArchive reads and JSON.parse each file
// whole. The least any reader can do; readArchive's time is reported against it.
// (Whole strings: fine for the bench's ~170 MB, impossible past ~512 MB, hence readArchive.)
import { BlobReader, Uint8ArrayWriter, ZipReader, type FileEntry } from '@zip.js/zip.js';
import { findMembers, manifestTweetFiles, parseAssignedJson } from '../src/lib/archive/layout.ts';

export interface FloorResult {
  /** Entries in the tweet files. */
  tweets: number;
  /** Characters of the member texts parsed. */
  chars: number;
}

export async function floorParse(zip: Blob): Promise<FloorResult> {
  const reader = new ZipReader(new BlobReader(zip), { useWebWorkers: false });
  try {
    const files = (await reader.getEntries()).filter((e): e is FileEntry => !e.directory);
    let layout = findMembers(files);
    let chars = 0;
    const parse = async (m: FileEntry): Promise<unknown> => {
      // Bytes then one TextDecoder call: zip.js' TextWriter is slower than this.
      const text = new TextDecoder().decode(await m.getData(new Uint8ArrayWriter()));
      chars += text.length;
      return parseAssignedJson(text);
    };
    if (layout.manifest) {
      const listed = manifestTweetFiles(await parse(layout.manifest));
      if (listed.length > 0) layout = findMembers(files, listed);
    }
    if (layout.account) await parse(layout.account);
    let tweets = 0;
    for (const m of layout.tweetFiles) tweets += (await parse(m) as unknown[]).length;
    for (const m of layout.noteFiles) await parse(m);
    return { tweets, chars };
  } finally {
    await reader.close();
  }
}
