// The model card (README.md of the bundle): huggingtweets' form, with the data table of
// docs/design.md's real huggingtweets card as input.
import { describe, expect, it } from 'vitest';
import { frontMatter, pyYaml } from '../helpers/hostile-card.ts';
import { mdCell, modelCard, type ModelCardInfo } from '../../src/lib/model/model-card.ts';
import { baseModelId } from '../../src/ui/export/card-info.ts';

const info: ModelCardInfo = {
  accounts: [
    { username: 'hirox246', displayName: 'ひろゆき, Hiroyuki Nishimura', downloaded: 3249, retweets: 283, short: 1819, kept: 1147 },
    { username: 'kogai', displayName: 'Dan Kogai', downloaded: 3250, retweets: 341, short: 2313, kept: 596 },
    { username: 'shakkindama', displayName: '借金玉 | "pipe"', downloaded: 3249, retweets: 260, short: 2918, kept: 71 },
  ],
  rule: 'huggingtweets',
  language: 'ja',
  baseModel: 'distilgpt2',
  hyperparameters: { 'Learning rate': 0.0001, 'Batch size': 4, 'Block size': 128, Epochs: 4 },
  steps: 1234,
  trainLoss: 2.345678,
  validationLoss: 2.9,
  date: '2026-11-26',
};

describe('model card', () => {
  const card = modelCard(info);
  it('opens with the YAML front matter huggingtweets used', () => {
    const front = card.split('\n---\n')[0] + '\n---';
    expect(front).toBe(
      [
        '---',
        'language: "ja"',
        'tags:',
        '- huggingtweets',
        '- tweetforge',
        '- text-generation',
        'base_model: "distilgpt2"',
        'pipeline_tag: text-generation',
        'widget:',
        '- text: "My dream is"',
        '---',
      ].join('\n'),
    );
  });
  it('has the data table, one column per account, pipes escaped', () => {
    expect(card).toContain('| Data | ひろゆき, Hiroyuki Nishimura | Dan Kogai | 借金玉 \\| "pipe" |');
    expect(card).toContain('| --- | --- | --- | --- |');
    expect(card).toContain('| Tweets downloaded | 3249 | 3250 | 3249 |');
    expect(card).toContain('| Retweets | 283 | 341 | 260 |');
    expect(card).toContain('| Short tweets | 1819 | 2313 | 2918 |');
    expect(card).toContain('| Tweets kept | 1147 | 596 | 71 |');
    // every table row has the same number of unescaped cells
    const rows = card.split('\n').filter((l) => l.startsWith('| ') && l.includes('Tweets'));
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length).toBe(6);
  });
  it('names the accounts, the training procedure, losses, steps and hyper-parameters', () => {
    expect(card).toContain('# ひろゆき, Hiroyuki Nishimura & Dan Kogai & 借金玉 | "pipe"');
    expect(card).toContain('@hirox246 @kogai @shakkindama');
    expect(card).toContain('## Training procedure');
    expect(card).toContain('| Learning rate | 0.0001 |');
    expect(card).toContain('| Block size | 128 |');
    expect(card).toContain('| Steps | 1234 |');
    expect(card).toContain('Final training loss: 2.3457; final validation loss: 2.9000.');
    expect(card).toContain("huggingtweets' rule");
  });
  it('shows how to use it with the transformers pipeline, and its limitations', () => {
    expect(card).toContain('## How to use');
    expect(card).toContain("generator = pipeline('text-generation',");
    expect(card).toContain("model='tweetforge-hirox246-kogai-shakkindama')");
    expect(card).toContain('generator("My dream is", num_return_sequences=5)');
    expect(card).toContain('## Limitations and bias');
  });
  it('lists several languages and says n/a for a loss it does not have', () => {
    const c = modelCard({ ...info, language: ['ja', 'en'], trainLoss: undefined, validationLoss: NaN });
    expect(c).toContain('language:\n- "ja"\n- "en"\ntags:');
    expect(c).toContain('Final training loss: n/a; final validation loss: n/a.');
  });
  it('escapes table cells', () => {
    expect(mdCell('a|b\nc')).toBe('a\\|b c');
  });

  it('front matter parses as YAML (PyYAML, as the Hub\'s Python tools read it)', () => {
    expect(pyYaml(frontMatter(modelCard({ ...info, language: ['ja', 'en'], widgetText: 'Say "hi": ok' })))).toEqual({
      language: ['ja', 'en'],
      tags: ['huggingtweets', 'tweetforge', 'text-generation'],
      base_model: 'distilgpt2',
      pipeline_tag: 'text-generation',
      widget: [{ text: 'Say "hi": ok' }],
    });
  });

  it('names a Hub base model in the metadata, and only describes weights from anywhere else', () => {
    expect(baseModelId('https://huggingface.co/distilbert/distilgpt2/resolve/main/')).toBe('distilbert/distilgpt2');
    expect(baseModelId('https://huggingface.co/gpt2/resolve/main/')).toBe('gpt2');
    const picked = baseModelId('files:tweetforge-ada.zip');
    expect(picked).toBe('files picked in the browser (tweetforge-ada.zip)');
    expect(baseModelId('files:config.json,model.safetensors')).toBe('files picked in the browser (config.json, model.safetensors)');
    expect(baseModelId('http://localhost:8080/models/tiny/')).toBe('http://localhost:8080/models/tiny/');
    for (const base of [picked, 'http://localhost:8080/models/tiny/']) {
      const card = modelCard({ ...info, baseModel: base });
      expect(card.split('\n---\n')[0], base).not.toContain('base_model');
      expect(card, base).toContain(`fine-tuned a GPT-2 from ${base}`);
      expect(card, base).toContain(`based on a pre-trained GPT-2 (${base})`);
      expect(card, base).not.toMatch(/huggingface\.co\/(files|http)/);
    }
    const hub = modelCard({ ...info, baseModel: 'distilbert/distilgpt2' });
    expect(hub).toContain('fine-tuned [distilbert/distilgpt2](https://huggingface.co/distilbert/distilgpt2)');
    expect(hub).toContain('based on a pre-trained [GPT-2](https://huggingface.co/distilbert/distilgpt2)');
  });

  it('says LoRA, r, alpha, the targets and where PEFT\'s adapter files are, for a LoRA run only', () => {
    const lora = { r: 16, alpha: 32, dropout: 0, targets: ['q_proj', 'v_proj'], adapterDir: 'adapter' };
    const withLora = modelCard({ ...info, baseModel: 'Qwen/Qwen2.5-0.5B', architecture: 'Qwen2', modelName: "tf-o'neil", lora });
    expect((pyYaml(frontMatter(withLora)) as { tags: string[] }).tags).toEqual(['huggingtweets', 'tweetforge', 'text-generation', 'lora', 'peft']);
    expect(withLora).toContain('Fine-tuned with LoRA (low-rank adapters, Hu et al. 2021): rank r = 16, alpha = 32 (update scale alpha / r = 2), adapter dropout 0, on the target modules `q_proj`, `v_proj`; the base weights stayed frozen.');
    expect(withLora).toContain('The adapter alone is in `adapter/` (`adapter_config.json` and `adapter_model.safetensors`, PEFT\'s layout)');
    expect(withLora).toContain("base = AutoModelForCausalLM.from_pretrained('Qwen/Qwen2.5-0.5B')");
    expect(withLora).toContain("model = PeftModel.from_pretrained(base, 'tf-o\\'neil/adapter')"); // a quote in the name cannot end the string
    // A base that is no Hub model is not written into the code as if it were one.
    expect(modelCard({ ...info, baseModel: "http://x/'); import os #", lora })).toContain("from_pretrained('path/to/the/base/model')");
    expect(card).not.toContain('LoRA');
    expect((pyYaml(frontMatter(card)) as { tags: string[] }).tags).toEqual(['huggingtweets', 'tweetforge', 'text-generation']);
  });
});
