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
  /**
   * YAML `language`: one code or several (dataset/languages.ts' cardLanguages); codes not shaped
   * as a language tag are dropped, and 'en' stands when none is left (huggingtweets' default).
   */
  language?: string | string[];
  /** The base model's architecture as a reader knows it ('GPT-2', 'Llama', 'Qwen2'); GPT-2 when absent. */
  architecture?: string;
  /** The token the kept tweets were separated by (the model's end of text); `<|endoftext|>` when absent. */
  separator?: string;
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
  /** The run trained LoRA adapters (merged into model.safetensors; PEFT's files in `adapterDir`). */
  lora?: CardLora;
}

export interface CardLora {
  r: number;
  alpha: number;
  dropout: number;
  /** Target modules as PEFT names them (q_proj, c_attn, ...). */
  targets: string[];
  /** The bundle's folder holding adapter_config.json and adapter_model.safetensors. */
  adapterDir: string;
}

// Every string below may come from a shared archive or a picked file's name, and a card is
// what people publish: names land as literal text, never as HTML, a link, a new block or a
// front-matter key. The body is CommonMark/GFM read by an HTML renderer, the front matter YAML.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line breaks by any reckoning (CommonMark's, YAML 1.1's, Unicode's), with the spaces around them. */
const LINE_BREAK = /\s*[\r\n\v\f\x85\u2028\u2029]+\s*/g;
/**
 * What a reader cannot see or what reorders what they see: C0/C1 controls, DEL, bidi
 * embeddings, overrides and isolates (a name could flip the text after it), noncharacters.
 */
const INVISIBLE = /[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;
/** ASCII punctuation that opens Markdown inline syntax: escapes, code, emphasis, links, headings' closing #, math. */
const MD_SPECIAL = /[\\`*~[\]#$]|_(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])_|[<>]|&(?=#?[a-z0-9]+;)/giu;
const MD_REPLACE: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * A string as inline Markdown text that renders as itself: one line (breaks become a space),
 * invisible or reordering characters shown as U+FFFD, Markdown syntax backslash-escaped and
 * `<`, `>` and entity-like `&` written as HTML entities, so neither a Markdown renderer nor a
 * raw-HTML one finds a tag, link, emphasis or block in it. An intraword `_` (user_name) opens
 * nothing in CommonMark and is kept as written.
 */
export function mdText(s: string | number): string {
  return String(s)
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(LINE_BREAK, ' ')
    .replace(/\t/g, ' ')
    .replace(INVISIBLE, '\uFFFD')
    .replace(MD_SPECIAL, (c) => MD_REPLACE[c] ?? '\\' + c);
}

/** Escapes a value for one cell of a Markdown table: mdText, and pipes (GFM splits cells on them first). */
export function mdCell(s: string | number): string {
  return mdText(s).replace(/\|/g, '\\|');
}

/** An inline code span holding `s` on one line, its fence longer than any run of backticks inside. */
function mdCode(s: string): string {
  const t = s.replace(LONE_SURROGATE, '\uFFFD').replace(LINE_BREAK, ' ').replace(INVISIBLE, '\uFFFD');
  const fence = '`'.repeat(Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return fence + pad + t + pad + fence;
}

/**
 * What a quoted string writes as an escape beyond JSON's own (C0 controls, quote, backslash, lone
 * surrogates): what YAML 1.1 (PyYAML) reads as a line break (U+0085, U+2028/9) or refuses as
 * unprintable (DEL, C1, U+FFFE/F), and what a reader of the file cannot see (bidi controls, BOM).
 */
const QUOTE_ESCAPES = /[\x00-\x1f\\\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/**
 * `s` in `quote` with JSON's escapes (\\, \", \n, \uNNNN...), which YAML's double-quoted
 * scalars and Python's string literals read alike, extended to QUOTE_ESCAPES. Text JSON writes
 * safely comes out as JSON.stringify writes it.
 */
function quoted(s: string, quote: '"' | "'"): string {
  const escaped = s.replace(QUOTE_ESCAPES, (c) => SHORT_ESCAPES[c] ?? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return quote + escaped.replaceAll(quote, '\\' + quote) + quote;
}

/**
 * A YAML double-quoted scalar that YAML 1.1 and 1.2 parsers (PyYAML, the Hub's) read back as
 * exactly `s`, on one line, so no value can end early and start another key.
 */
export function yamlString(s: string): string {
  return quoted(s, '"');
}

/** A language tag as the card writes one: a 2-3 letter language, then 2-8 character subtags; nothing else reaches the YAML. */
const LANGUAGE_TAG = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;

/** The card's language codes: the tag-shaped ones, each once, in order; ['en'] when none is. */
function cardLanguageList(language: string | string[] | undefined): string[] {
  const valid = [language ?? []].flat().filter((l) => typeof l === 'string' && LANGUAGE_TAG.test(l));
  return valid.length > 0 ? [...new Set(valid)] : ['en'];
}

/** The Hub page of a model id (isHubId's characters only; each segment encoded all the same). */
function hubUrl(id: string): string {
  return 'https://huggingface.co/' + id.split('/').map(encodeURIComponent).join('/');
}

export function defaultModelName(accounts: CardAccount[]): string {
  const users = accounts.map((a) => a.username.toLowerCase().replace(/[^a-z0-9_-]/g, ''));
  return ['tweetforge', ...users.filter(Boolean)].join('-');
}

function loss(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4);
}

/** How the adapters were trained, and the two ways to load them. */
function loraSection(lora: CardLora, baseModel: string, hub: boolean, folder: string): string[] {
  const num = (x: number) => mdText(Number.isFinite(x) ? String(x) : 'n/a');
  const dir = mdCode(lora.adapterDir + '/');
  return [
    `Fine-tuned with LoRA (low-rank adapters, Hu et al. 2021): rank r = ${num(lora.r)}, alpha = ${num(lora.alpha)} (update scale alpha / r = ${num(lora.alpha / lora.r)}), adapter dropout ${num(lora.dropout)}, on the target modules ${lora.targets.map((t) => mdCode(t)).join(', ')}; the base weights stayed frozen.`,
    '',
    `${mdCode('model.safetensors')} holds the base weights with the adapters merged (W + (alpha / r)·BA): it loads as any checkpoint. The adapter alone is in ${dir} (${mdCode('adapter_config.json')} and ${mdCode('adapter_model.safetensors')}, PEFT's layout), for the base model:`,
    '',
    '```python',
    'from peft import PeftModel',
    'from transformers import AutoModelForCausalLM',
    `base = AutoModelForCausalLM.from_pretrained(${quoted(hub ? baseModel : 'path/to/the/base/model', "'")})`,
    `model = PeftModel.from_pretrained(base, ${quoted(`${folder}/${lora.adapterDir}`, "'")})`,
    '```',
  ];
}

/** Renders the model card as Markdown. */
export function modelCard(info: ModelCardInfo): string {
  const name = info.modelName ?? defaultModelName(info.accounts);
  const langs = cardLanguageList(info.language);
  const gpt2 = info.architecture === undefined || info.architecture === 'GPT-2';
  /** The base model as the text calls it: "GPT-2", or "Qwen2 model". */
  const kind = gpt2 ? 'GPT-2' : `${mdText(info.architecture!)} model`;
  const widget = info.widgetText ?? DEFAULT_PROMPT;
  const names = info.accounts.map((a) => mdText(a.displayName || a.username));
  const handles = info.accounts.map((a) => '@' + mdText(a.username));
  const L: string[] = [];

  L.push('---');
  L.push(langs.length === 1 ? `language: ${yamlString(langs[0])}` : 'language:');
  if (langs.length > 1) for (const l of langs) L.push(`- ${yamlString(l)}`);
  L.push('tags:', '- huggingtweets', '- tweetforge', '- text-generation', ...(info.lora ? ['- lora', '- peft'] : []));
  const hub = isHubId(info.baseModel); // the metadata's base_model may name only a Hub model
  if (hub) L.push(`base_model: ${yamlString(info.baseModel)}`);
  const base = hub ? `[${mdText(info.baseModel)}](${hubUrl(info.baseModel)})` : `a ${kind} from ${mdText(info.baseModel)}`;
  L.push('pipeline_tag: text-generation');
  L.push('widget:', `- text: ${yamlString(widget)}`);
  L.push('---', '');

  L.push(`# ${names.join(' & ')}`, '');
  L.push(handles.join(' '), '');
  L.push(
    'I was made with tweetforge, an in-browser successor of [huggingtweets](https://github.com/borisdayma/huggingtweets):',
    `a browser fine-tuned ${gpt2 ? kind : `a ${kind}`} on these accounts' own Twitter/X archives, on the owner's GPU.`,
    'Nothing was uploaded to train me.',
    '',
  );

  L.push('## How does it work?', '');
  L.push(
    'The archives were read in the browser; retweets and short tweets were set aside; the',
    `kept tweets, separated by ${mdCode(info.separator ?? '<|endoftext|>')}, fine-tuned ${base}`,
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
      : `Short tweets: fewer than 3 words, counted with Intl.Segmenter per tweet language (rule "${mdText(info.rule)}").`,
  );
  if (info.excludeReplies) L.push('Replies were left out.');
  L.push('');

  L.push('## Training procedure', '');
  L.push(
    `The model is based on a pre-trained ${hub ? `[${kind}](${hubUrl(info.baseModel)})` : `${kind} (${mdText(info.baseModel)})`} which is fine-tuned on ${handles.join(', ')}'s tweets.`,
    '',
  );
  L.push('| Hyperparameter | Value |', '| --- | --- |');
  for (const [k, v] of Object.entries(info.hyperparameters)) L.push(`| ${mdCell(k)} | ${mdCell(String(v))} |`);
  L.push(`| Steps | ${mdCell(info.steps)} |`);
  L.push('');
  L.push(`Final training loss: ${loss(info.trainLoss)}; final validation loss: ${loss(info.validationLoss)}.`);
  if (info.lora) L.push('', ...loraSection(info.lora, info.baseModel, hub, name));
  if (info.date) L.push('', `Exported on ${mdText(info.date)}.`);
  L.push('');

  L.push('## How to use', '');
  L.push('You can use this model directly with a pipeline for text generation:', '');
  L.push('```python');
  L.push('from transformers import pipeline');
  L.push("generator = pipeline('text-generation',");
  L.push(`                     model=${quoted(name, "'")})`);
  L.push(`generator(${quoted(widget, '"')}, num_return_sequences=5)`);
  L.push('```', '');
  L.push(`(${mdCode(name)} is the folder this bundle was unzipped into, or its Hub repo once uploaded.)`, '');

  L.push('## Limitations and bias', '');
  L.push(
    gpt2
      ? 'The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).'
      : `The model suffers from the limitations and bias of ${hub ? `[its base model](${hubUrl(info.baseModel)})` : 'its base model'}.`,
    '',
    "In addition, the data present in the user's tweets further affects the text generated by the model.",
    '',
  );
  return L.join('\n');
}
