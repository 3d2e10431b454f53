// Every way an archive can be refused, as one typed error whose message is a single
// readable line (the page shows it in data-testid="error"; the CLI prints it to stderr).

export type ArchiveErrorCode =
  | 'not-zip'
  | 'truncated'
  | 'no-tweet-files'
  | 'no-tweets'
  | 'bad-json'
  | 'bad-shape'
  | 'too-large'
  | 'over-budget'
  | 'encrypted'
  | 'not-utf8';

export class ArchiveError extends Error {
  override name = 'ArchiveError';
  readonly code: ArchiveErrorCode;
  /** The zip member at fault, when there is one (e.g. "data/tweets.js"). */
  readonly file?: string;

  constructor(code: ArchiveErrorCode, message: string, file?: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.code = code;
    this.file = file;
  }
}

export function isArchiveError(e: unknown): e is ArchiveError {
  return e instanceof ArchiveError;
}
