// The journey on a tiny Qwen2 checkpoint (Qwen2.5's layout around its real 151,936-row
// tokenizer), in headless Chromium on WebGPU (SwiftShader), against the built app: drop a
// Japanese-majority archive, train the model (?model= a Hub id, its files routed to the local
// fixture) for a few steps, reload mid-run and resume from the checkpoint, generate with a
// fixed seed (twice: the same; Japanese whole), export the weights (names and shapes as
// Qwen2ForCausalLM.save_pretrained writes them) and the bundle (config, the tokenizer files
// byte for byte, generation config, a card with `language: ja` and `base_model:`), load the
// bundle back as picked files: the same greedy text.
// Shapes stay tiny (block 8 x batch 2) and steps few: every step touches Qwen's 151,936 rows.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchiveZip, type TweetSpec } from '../../scripts/fixtures/archive.ts';
import { QWEN_EOT, TINY_LLAMAS, tinyLlamaDir } from '../../scripts/fixtures/tiny-llama.ts';
import { loadCliModel } from '../../scripts/cli/model.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateAll } from '../../src/lib/generate/generate.ts';
import { readSafetensors } from '../../src/lib/model/safetensors.ts';
import { appUrl, launchBrowser, recordPage, screenshot, startTraining, waitForStep, generateBatch, saveDownload, setSetting, trainingStep } from '../helpers/browser';

const DIR = path.resolve('.fixtures/journey-qwen2');
const MODEL = 'tiny-qwen2';
/**
 * The base model as a Hub id, so the card names it in `base_model:`: its files come from the
 * tiny fixture through the browser context's routes, never from the network.
 */
const HUB_ID = 'tweetforge-test/tiny-qwen2';
const HUB_FOLDER = `https://huggingface.co/${HUB_ID}/resolve/main/`;
const QWEN_VOCAB = 151936;
const PROMPT = '今日は';
const GREEDY = { ...DEFAULT_SAMPLE_OPTIONS, greedy: true, maxNewTokens: 8, minNewTokens: 2, numSamples: 1 };

/**
 * The names and shapes Qwen2ForCausalLM.save_pretrained writes, from modeling_qwen2.py's module
 * tree: nn.Linear weights [out, in]; q/k/v projections with a bias (Qwen2Attention's
 * `bias=True`), o_proj and the MLP without; RMSNorm gains; lm_head tied to embed_tokens, not saved.
 */
function qwen2StateDictShapes(c: { V: number; C: number; F: number; L: number; heads: number; kvHeads: number }): Map<string, number[]> {
  const hd = c.C / c.heads;
  const out = new Map<string, number[]>([['model.embed_tokens.weight', [c.V, c.C]]]);
  for (let i = 0; i < c.L; i++) {
    const p = `model.layers.${i}.`;
    out.set(p + 'self_attn.q_proj.weight', [c.heads * hd, c.C]).set(p + 'self_attn.q_proj.bias', [c.heads * hd]);
    out.set(p + 'self_attn.k_proj.weight', [c.kvHeads * hd, c.C]).set(p + 'self_attn.k_proj.bias', [c.kvHeads * hd]);
    out.set(p + 'self_attn.v_proj.weight', [c.kvHeads * hd, c.C]).set(p + 'self_attn.v_proj.bias', [c.kvHeads * hd]);
    out.set(p + 'self_attn.o_proj.weight', [c.C, c.heads * hd]);
    out.set(p + 'mlp.gate_proj.weight', [c.F, c.C]).set(p + 'mlp.up_proj.weight', [c.F, c.C]).set(p + 'mlp.down_proj.weight', [c.C, c.F]);
    out.set(p + 'input_layernorm.weight', [c.C]).set(p + 'post_attention_layernorm.weight', [c.C]);
  }
  return out.set('model.norm.weight', [c.C]);
}

const JA = [
  '今日は本当にいい天気ですね', '新しいモデルを訓練しています', '猫がキーボードの上で寝ている', 'ラーメンを食べに行きたい',
  '朝のコーヒーがおいしい', '電車が遅れて会社に遅刻しました', '週末は山に登る予定です', 'この本はとても面白かった',
  '夜空に星がたくさん見える', '新しいパソコンを買いました', '雨の日は家で映画を見る', '桜がきれいに咲いています',
];

/** A Japanese account: 36 of 39 kept tweets `ja` (English under the card's 10 %), a retweet and a short one. */
function japaneseArchive(): Uint8Array {
  const tweets: TweetSpec[] = [];
  for (let i = 0; i < 36; i++) {
    const text = `${JA[i % JA.length]}。${JA[(i * 5 + 3) % JA.length]}`;
    tweets.push({ id: String(1_700_000_000_000_000_000n + BigInt(i)), text, lang: 'ja' });
  }
  for (let i = 0; i < 3; i++) tweets.push({ id: String(1_700_000_000_000_001_000n + BigInt(i)), text: `training a tiny model on my own tweets ${i}`, lang: 'en' });
  tweets.push({ id: '1700000000000002000', text: 'RT @friend: 今日はいい日', lang: 'ja' });
  tweets.push({ id: '1700000000000002001', text: 'はい', lang: 'ja' });
  return buildArchiveZip({ username: 'yuki_test', displayName: '雪 Test', accountId: '2101', tweets });
}

describe('the journey on a tiny qwen2 model', () => {
  let browser: Browser;
  let archive: string;
  let modelDir: string;
  const tiny = TINY_LLAMAS[MODEL];

  beforeAll(async () => {
    fs.rmSync(path.join(DIR, 'downloads'), { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'downloads'), { recursive: true });
    archive = path.join(DIR, 'yuki_test.zip');
    fs.writeFileSync(archive, japaneseArchive());
    modelDir = tinyLlamaDir(MODEL); // served at /fixtures/models/tiny-qwen2/
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('drop a Japanese archive, train, reload and resume, generate, export, load the bundle back', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    await context.route(`${HUB_FOLDER}**`, (route) => {
      const name = new URL(route.request().url()).pathname.slice(new URL(HUB_FOLDER).pathname.length);
      const file = path.join(modelDir, name);
      const headers = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };
      if (/^[\w.-]+$/.test(name) && !name.startsWith('.') && fs.existsSync(file)) return route.fulfill({ path: file, headers });
      return route.fulfill({ status: 404, headers, body: 'not found' });
    });
    const page = await context.newPage();
    const rec = recordPage(page);
    const t0 = Date.now();
    const laps: string[] = [];
    const lap = (label: string) => laps.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    try {
      await page.goto(`${appUrl()}?model=${HUB_ID}`);
      await page.waitForSelector('[data-testid=gpu-check][data-state=ok]');

      // The archive: 36 of 39 kept tweets are Japanese (the retweet and the one-word tweet are set aside).
      await page.setInputFiles('[data-testid=archive-input]', archive);
      await page.waitForSelector('[data-testid=stats-table] td[data-user=yuki_test][data-stat=kept]', { timeout: 60_000 });
      const kept = await page.locator('[data-testid=stats-table] td[data-user=yuki_test][data-stat=kept]').innerText();
      expect(Number(kept.replace(/[^\d]/g, ''))).toBe(39);
      expect(await page.locator('[data-testid=model-language-hint]').innerText()).toContain('Japanese 92 %');
      lap('review');

      // Train: block 8 x batch 2, a checkpoint every 2 steps; reload at the first one, mid-run.
      await startTraining(page, { blockSize: 8, batchSize: 2, epochs: 1, checkpointEvery: 2 });
      await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 120_000 });
      lap('model loaded, training');
      await waitForStep(page, 1, 180_000);
      lap('step 1'); // the first step builds every kernel: most of the training time
      await page.waitForSelector('[data-testid=train-shelf] li[data-checkpoint][data-step="2"]', { timeout: 180_000 });
      expect(await page.locator('[data-testid=train-panel]').getAttribute('data-status')).toBe('training');
      const totalSteps = Number(/^[\d,]+/.exec(await page.locator('[data-testid=train-total-steps]').innerText())?.[0].replace(/,/g, ''));
      expect(totalSteps).toBeGreaterThan(8);
      await screenshot(page, 'journey-qwen2-1-training');
      lap('checkpoint 2');

      // Reload with the step in flight. Its 'load' event can wait past 30 s on SwiftShader (the
      // old page's GPU work drains first), so wait for the offer rather than for 'load'.
      await page.reload({ waitUntil: 'commit' });
      lap('reload committed');
      await page.waitForSelector('[data-testid=train-resume-offer]', { timeout: 120_000 });
      lap('offer');
      const offer = await page.locator('[data-testid=train-resume-offer]').innerText();
      const savedStep = Number(/step (\d+) of/.exec(offer)?.[1]);
      expect(savedStep).toBeGreaterThanOrEqual(2);
      expect(offer).toContain(`of ${totalSteps}`);
      await page.click('[data-testid=train-resume]');
      await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 120_000 });
      await page.click('[data-testid=train-pause]');
      await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 120_000 });
      const pausedAt = await trainingStep(page);
      expect(pausedAt).toBeGreaterThan(savedStep);
      expect(pausedAt).toBeLessThan(totalSteps);
      const loss = Number(await page.locator('[data-testid=train-loss]').getAttribute('data-loss'));
      expect(Number.isFinite(loss) && loss > 0).toBe(true);
      lap('reloaded, resumed, paused');
      // Nothing outside the picker's list and the file picker's help speaks of GPT-2 for this model.
      for (const where of ['[data-testid=train-panel]', '[data-testid=generate-panel] form', '[data-testid=export-panel]']) {
        const text = await page.locator(where).innerText();
        expect(text, where).not.toMatch(/GPT-2|gpt2|n_layer|n_embd|n_head|vocab\.json|merges\.txt/);
      }

      // Generate: a Japanese prompt, 3 samples with a kept seed, twice.
      await page.fill('[data-testid=prompt]', PROMPT);
      await setSetting(page, 'maxNewTokens', GREEDY.maxNewTokens);
      await setSetting(page, 'minNewTokens', GREEDY.minNewTokens);
      await setSetting(page, 'numSamples', 3);
      await setSetting(page, 'seed', 1234);
      await page.check('[data-testid=keep-seed]');
      const first = await generateBatch(page, 1);
      expect(first).toHaveLength(3);
      for (const t of first) expect(t.startsWith(PROMPT)).toBe(true);
      expect(new Set(first).size).toBeGreaterThan(1);
      const second = await generateBatch(page, 2);
      expect(second).toEqual(first);
      await screenshot(page, 'journey-qwen2-2-samples');
      await page.check('[data-testid=greedy]');
      await setSetting(page, 'numSamples', 1);
      const [greedy] = await generateBatch(page, 3);
      expect(greedy.startsWith(PROMPT)).toBe(true);
      expect(greedy.length).toBeGreaterThan(PROMPT.length);
      lap('samples');

      // The weights: save_pretrained's names and shapes, trained.
      const weights = await saveDownload(page, 'export-weights', DIR);
      expect(weights.name).toBe('model.safetensors');
      const tensors = readSafetensors(fs.readFileSync(weights.file));
      const want = qwen2StateDictShapes({ V: QWEN_VOCAB, C: tiny.hidden, F: tiny.intermediate, L: tiny.layers, heads: tiny.heads, kvHeads: tiny.kvHeads });
      expect([...tensors.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [name, shape] of want) expect(tensors.get(name)!.shape, name).toEqual(shape);
      const base = readSafetensors(fs.readFileSync(path.join(modelDir, 'model.safetensors')));
      const moved = [...want.keys()].filter((n) => tensors.get(n)!.data.some((x, i) => x !== base.get(n)!.data[i]));
      expect(moved.length).toBeGreaterThan(want.size / 2);
      lap('weights');

      // The bundle: from_pretrained's files, the served tokenizer as it was, a card that says ja.
      const bundle = await saveDownload(page, 'export-bundle', DIR);
      expect(bundle.name).toBe('tweetforge-yuki_test.zip');
      const members = unzipSync(new Uint8Array(fs.readFileSync(bundle.file)));
      expect(Buffer.from(members['model.safetensors']).equals(fs.readFileSync(weights.file))).toBe(true);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) expect(Buffer.from(members[f]).equals(fs.readFileSync(path.join(modelDir, f))), f).toBe(true);
      expect(members['vocab.json']).toBeUndefined();
      const json = (f: string) => JSON.parse(new TextDecoder().decode(members[f])) as Record<string, unknown>;
      const served = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const config = json('config.json');
      expect(config.architectures).toEqual(['Qwen2ForCausalLM']);
      for (const k of ['model_type', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'rope_theta', 'rms_norm_eps', 'vocab_size', 'tie_word_embeddings']) {
        expect(config[k], k).toEqual(served[k]);
      }
      expect(json('generation_config.json').eos_token_id).toBe(QWEN_EOT);
      const card = new TextDecoder().decode(members['README.md']);
      const front = card.split('\n---\n')[0];
      expect(front).toMatch(/^language: "ja"$/m);
      expect(front).toMatch(new RegExp(`^base_model: "${HUB_ID}"$`, 'm'));
      expect(card).toContain(`a browser fine-tuned a Qwen2 model on these accounts'`);
      expect(card).toContain(`fine-tuned [${HUB_ID}](https://huggingface.co/${HUB_ID})`);
      expect(card).toContain('separated by `<|endoftext|>`');
      lap('bundle');

      // Japanese comes out whole: the page's streamed greedy text is what Hugging Face's
      // Tokenizers.js decodes, all at once, from the ids the library draws on the CPU from the
      // bundle's files (a character split over two tokens would stream as U+FFFD pieces).
      const bundleDir = path.join(DIR, 'bundle');
      fs.rmSync(bundleDir, { recursive: true, force: true });
      fs.mkdirSync(bundleDir);
      for (const [f, bytes] of Object.entries(members)) fs.writeFileSync(path.join(bundleDir, f), bytes);
      await tf.setBackend('cpu');
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no "install tfjs-node" banner
      const { model, tok } = await loadCliModel(bundleDir);
      const [ref] = await generateAll(model, tok, PROMPT, GREEDY).finally(() => model.dispose());
      const hf = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
      expect(greedy).toBe(PROMPT + hf.decode(ref.ids.filter((id) => id !== QWEN_EOT)));
      expect(greedy).toBe(PROMPT + ref.text);
      lap('greedy against the CPU and Tokenizers.js');

      // Load the bundle back as picked files: the same greedy text.
      await page.setInputFiles('[data-testid=model-files]', bundle.file);
      await page.waitForSelector('[data-testid=model-source-loaded]', { timeout: 120_000 });
      const [again] = await generateBatch(page, 4);
      expect(again).toBe(greedy);
      await screenshot(page, 'journey-qwen2-3-bundle-loaded');
      lap('bundle back');

      // Nothing but localhost and the routed Hub folder was ever asked for.
      const foreign = rec.requests.filter((u) => {
        const url = new URL(u);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && !u.startsWith(HUB_FOLDER);
      });
      expect(foreign).toEqual([]);
      expect(rec.requests).toContain(`${HUB_FOLDER}model.safetensors`);
      console.log(`journey-qwen2 timings: ${laps.join(', ')}`);
    } catch (e) {
      await screenshot(page, 'journey-qwen2-failed').catch(() => {});
      console.error(`journey-qwen2 timings: ${laps.join(', ')}`);
      console.error(rec.logs.slice(-40).join('\n'));
      throw e;
    } finally {
      await context.close();
    }
  });
});
