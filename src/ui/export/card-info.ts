// What the exported model card says, from what the page knows: the data table (the prep
// worker's, or the one remembered for this run when the page was reloaded since), the
// training settings and losses, the kept tweets' languages, and the base model.
import { defaultModelName, type CardAccount, type ModelCardInfo } from '../../lib/model/model-card.ts';
import { cardLanguages } from '../../lib/dataset/languages.ts';
import { TRAIN_SETTINGS, type TrainConfig } from '../../lib/train/config.ts';

/** The part of the data table a card needs; a run keeps it with its record (storage's StoredCardTable). */
export interface CardTable {
  rule: string;
  excludeReplies: boolean;
  users: CardAccount[];
  /** Kept tweets per language: the card's `language:` (cardLanguages); 'en' without them. */
  languages?: Record<string, number>;
}

/** The settings a card lists, in its order; their labels are the settings table's. */
const CARD_SETTINGS = ['lr', 'batchSize', 'gradAccum', 'blockSize', 'epochs', 'warmupSteps', 'weightDecay', 'clipNorm', 'seed'] as const;

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
  /** The settings the card lists (a stored run's: those added to training later may be absent). */
  config: Pick<TrainConfig, (typeof CARD_SETTINGS)[number]> | null;
  steps: number;
  trainLoss?: number;
  validationLoss?: number;
  widgetText: string;
  date: string;
}

export function cardInfo(x: CardInputs): ModelCardInfo {
  const c = x.config;
  const hyperparameters: Record<string, string | number | boolean> = c
    ? Object.fromEntries(CARD_SETTINGS.map((k) => [TRAIN_SETTINGS[k].label, c[k]]))
    : { Note: 'not fine-tuned in this session' };
  return {
    accounts: x.table.users,
    rule: x.table.rule,
    excludeReplies: x.table.excludeReplies,
    language: cardLanguages(x.table.languages),
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
