// What the exported model card says, from what the page knows: the data table (the prep
// worker's, or the one remembered for this run when the page was reloaded since), the
// training settings and losses, and the base model.
import { defaultModelName, type CardAccount, type ModelCardInfo } from '../../lib/model/model-card.ts';
import type { TrainConfig } from '../../lib/train/config.ts';

/** The part of the data table a card needs; kept per run so a reload does not lose it. */
export interface CardTable {
  rule: string;
  excludeReplies: boolean;
  users: CardAccount[];
}

const KEY = (runId: string) => `tweetforge:card:${runId}`;

/** Remembers the table a run was trained on (a few hundred bytes in localStorage). */
export function rememberTable(runId: string, table: CardTable): void {
  try {
    const users = table.users.map(({ username, displayName, downloaded, retweets, short, kept }) => ({ username, displayName, downloaded, retweets, short, kept }));
    localStorage.setItem(KEY(runId), JSON.stringify({ rule: table.rule, excludeReplies: table.excludeReplies, users }));
  } catch {
    // Storage full or disabled: the card then needs the archives dropped again.
  }
}

export function recallTable(runId: string): CardTable | null {
  try {
    const raw = localStorage.getItem(KEY(runId));
    return raw ? (JSON.parse(raw) as CardTable) : null;
  } catch {
    return null;
  }
}

/**
 * The card's base model from where the weights were loaded: a Hub folder URL gives its id
 * ('https://huggingface.co/distilbert/distilgpt2/resolve/main/' -> 'distilbert/distilgpt2');
 * picked files ('files:a.zip') and other URLs are described, never passed off as a Hub id.
 */
export function baseModelId(source: string): string {
  const m = /^https:\/\/huggingface\.co\/([\w.-]+(?:\/[\w.-]+)?)\/resolve\//.exec(source);
  if (m) return m[1];
  if (source.startsWith('files:')) return `files picked in the browser (${source.slice('files:'.length).split(',').join(', ')})`;
  return source;
}

export interface CardInputs {
  table: CardTable;
  /** Where the base weights came from: a folder URL, or 'files:' and the names picked. */
  modelSource: string;
  config: TrainConfig | null;
  steps: number;
  trainLoss?: number;
  validationLoss?: number;
  widgetText: string;
  date: string;
}

export function cardInfo(x: CardInputs): ModelCardInfo {
  const c = x.config;
  const hyperparameters: Record<string, string | number | boolean> = c
    ? {
        'Learning rate': c.lr,
        'Batch size': c.batchSize,
        'Gradient accumulation': c.gradAccum,
        'Block size': c.blockSize,
        Epochs: c.epochs,
        'Warmup steps': c.warmupSteps,
        'Weight decay': c.weightDecay,
        'Gradient clip': c.clipNorm,
        Seed: c.seed,
      }
    : { Note: 'not fine-tuned in this session' };
  return {
    accounts: x.table.users,
    rule: x.table.rule,
    excludeReplies: x.table.excludeReplies,
    baseModel: baseModelId(x.modelSource),
    modelName: defaultModelName(x.table.users), // also the bundle's file name
    hyperparameters,
    steps: x.steps,
    trainLoss: x.trainLoss,
    validationLoss: x.validationLoss,
    date: x.date,
    widgetText: x.widgetText,
  };
}
