// The README.md of an exported bundle: a Hugging Face model card in huggingtweets' form
// (YAML front matter with language, tags and the widget prompt; who it was trained on;
// the data table; the training procedure; "How to use"; limitations and bias), written
// from what this app knows locally. No W&B links: nothing here left the machine.
import type { AccountStats } from '../dataset/types.ts';
import { DEFAULT_PROMPT } from './sampling.ts';
import { isHubId } from './model-url.ts';

/** One account's column of the data table (the dataset's own stats; replies are not shown). */
export type CardAccount = Pick<AccountStats, 'username' | 'displayName' | 'downloaded' | 'retweets' | 'short' | 'kept'>;

export interface ModelCardInfo {
  accounts: CardAccount[];
  /** The word-count rule the table was built with. */
  rule: string;
  /** Whether replies were left out of training. */
  excludeReplies?: boolean;
  /** YAML `language`: one code or several; 'en' when absent (huggingtweets' default). */
  language?: string | string[];
  /**
   * The base checkpoint: a Hub id ('distilgpt2'), named in the metadata and linked; or, for weights
   * from anywhere else, words that say where (a URL, files picked), written as they are.
   */
  baseModel: string;
  /** Folder / repo name used in "How to use"; default tweetforge-<user1>-<user2>... */
  modelName?: string;
  /** Learning rate, batch size, block size, epochs, ... as shown in the card. */
  hyperparameters: Record<string, string | number | boolean>;
  steps: number;
  trainLoss?: number;
  validationLoss?: number;
  /** ISO date of the export (the caller's clock, so the card is reproducible in tests). */
  date?: string;
  /** Page defaults for sampling, echoed in "How to use". */
  widgetText?: string;
}

/** Escapes a value for one cell of a Markdown table (pipes, line breaks). */
export function mdCell(s: string | number): string {
  return String(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML and escape everything. */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

export function defaultModelName(accounts: CardAccount[]): string {
  const users = accounts.map((a) => a.username.toLowerCase().replace(/[^a-z0-9_-]/g, ''));
  return ['tweetforge', ...users.filter(Boolean)].join('-');
}

function loss(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4);
}

/** Renders the model card as Markdown. */
export function modelCard(info: ModelCardInfo): string {
  const name = info.modelName ?? defaultModelName(info.accounts);
  const langs = info.language === undefined ? ['en'] : [info.language].flat();
  const widget = info.widgetText ?? DEFAULT_PROMPT;
  const names = info.accounts.map((a) => a.displayName || a.username);
  const handles = info.accounts.map((a) => '@' + a.username);
  const L: string[] = [];

  L.push('---');
  L.push(langs.length === 1 ? `language: ${yamlString(langs[0])}` : 'language:');
  if (langs.length > 1) for (const l of langs) L.push(`- ${yamlString(l)}`);
  L.push('tags:', '- huggingtweets', '- tweetforge', '- text-generation');
  const hub = isHubId(info.baseModel); // the metadata's base_model may name only a Hub model
  if (hub) L.push(`base_model: ${yamlString(info.baseModel)}`);
  const base = hub ? `[${info.baseModel}](https://huggingface.co/${info.baseModel})` : `a GPT-2 from ${info.baseModel}`;
  L.push('pipeline_tag: text-generation');
  L.push('widget:', `- text: ${yamlString(widget)}`);
  L.push('---', '');

  L.push(`# ${names.join(' & ')}`, '');
  L.push(handles.join(' '), '');
  L.push(
    'I was made with tweetforge, an in-browser successor of [huggingtweets](https://github.com/borisdayma/huggingtweets):',
    "a browser fine-tuned GPT-2 on these accounts' own Twitter/X archives, on the owner's GPU.",
    'Nothing was uploaded to train me.',
    '',
  );

  L.push('## How does it work?', '');
  L.push(
    'The archives were read in the browser; retweets and short tweets were set aside; the',
    `kept tweets, separated by \`<|endoftext|>\`, fine-tuned ${base}`,
    'with WebGPU.',
    '',
  );

  L.push('## Training data', '');
  L.push(`The model was trained on tweets from ${names.join(' & ')}.`, '');
  L.push(`| Data | ${info.accounts.map((a) => mdCell(a.displayName || a.username)).join(' | ')} |`);
  L.push(`| --- | ${info.accounts.map(() => '---').join(' | ')} |`);
  const row = (label: string, key: keyof CardAccount) =>
    L.push(`| ${label} | ${info.accounts.map((a) => mdCell(a[key])).join(' | ')} |`);
  row('Tweets downloaded', 'downloaded');
  row('Retweets', 'retweets');
  row('Short tweets', 'short');
  row('Tweets kept', 'kept');
  L.push('');
  L.push(
    info.rule === 'huggingtweets'
      ? 'Short tweets: fewer than 3 space-separated words (huggingtweets\' rule).'
      : `Short tweets: fewer than 3 words, counted with Intl.Segmenter per tweet language (rule "${info.rule}").`,
  );
  if (info.excludeReplies) L.push('Replies were left out.');
  L.push('');

  L.push('## Training procedure', '');
  L.push(
    `The model is based on a pre-trained ${hub ? `[GPT-2](https://huggingface.co/${info.baseModel})` : `GPT-2 (${info.baseModel})`} which is fine-tuned on ${handles.join(', ')}'s tweets.`,
    '',
  );
  L.push('| Hyperparameter | Value |', '| --- | --- |');
  for (const [k, v] of Object.entries(info.hyperparameters)) L.push(`| ${mdCell(k)} | ${mdCell(String(v))} |`);
  L.push(`| Steps | ${info.steps} |`);
  L.push('');
  L.push(`Final training loss: ${loss(info.trainLoss)}; final validation loss: ${loss(info.validationLoss)}.`);
  if (info.date) L.push('', `Exported on ${info.date}.`);
  L.push('');

  L.push('## How to use', '');
  L.push('You can use this model directly with a pipeline for text generation:', '');
  L.push('```python');
  L.push('from transformers import pipeline');
  L.push("generator = pipeline('text-generation',");
  L.push(`                     model='${name}')`);
  L.push(`generator(${JSON.stringify(widget)}, num_return_sequences=5)`);
  L.push('```', '');
  L.push(`(\`${name}\` is the folder this bundle was unzipped into, or its Hub repo once uploaded.)`, '');

  L.push('## Limitations and bias', '');
  L.push(
    'The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).',
    '',
    "In addition, the data present in the user's tweets further affects the text generated by the model.",
    '',
  );
  return L.join('\n');
}
