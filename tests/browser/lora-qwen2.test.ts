// LoRA in the page, in headless Chromium on WebGPU (SwiftShader): the tiny-qwen2 fixture (Qwen2.5's
// tokenizer, random weights) served on localhost, the LoRA switch on, a few steps, pause, a
// greedy sample, and the bundle: its model.safetensors is the base with the adapters merged
// (W + (alpha / r)·BA, computed here from the exported adapter and the fixture's own file) and
// adapter/ holds PEFT's adapter_config.json and adapter_model.safetensors listing the adapters
// under PEFT's key names; and the merged weights alone, run by the library on the CPU backend
// (whose forward pass is held to the PyTorch Llama/Qwen2 by llama-goldens.test.ts), give the
// page's greedy text from base + unmerged adapters. Shapes are tiny (B1 x T16): SwiftShader is slow.
import fs from 'node:fs';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import type { Browser, Download } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyLlamaConfig, tinyLlamaDir, TINY_LLAMAS } from '../../scripts/fixtures/tiny-llama';
import * as tf from '@tensorflow/tfjs';
import { loadCliModel } from '../../scripts/cli/model.ts';
import { DEFAULT_PROMPT, DEFAULT_SAMPLE_OPTIONS, generateAll } from '../../src/lib/generate/generate.ts';
import { readSafetensors } from '../../src/lib/model/safetensors';
import { appUrl, launchBrowser, recordPage, screenshot } from '../helpers/browser';
import { writeTwoAccountArchives } from '../../scripts/fixtures/archive';

const DIR = path.resolve('.fixtures/lora-qwen2');
const HF = tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']);
const TARGETS = ['q_proj', 'v_proj']; // PEFT's default for qwen2, written here
const R = 4;
const ALPHA = 8;

describe('LoRA in the page on a qwen2 model', () => {
  let browser: Browser;
  beforeAll(async () => {
    fs.rmSync(path.join(DIR, 'downloads'), { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'downloads'), { recursive: true });
    tinyLlamaDir('tiny-qwen2'); // served at /fixtures/models/tiny-qwen2/
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('trains adapters with the LoRA switch on, samples while paused, and exports merged weights with PEFT\'s files', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const rec = recordPage(page);
    try {
      await page.goto(`${appUrl()}?model=${encodeURIComponent('/fixtures/models/tiny-qwen2/')}`);
      await page.setInputFiles('[data-testid=archive-input]', writeTwoAccountArchives(DIR));
      await page.waitForSelector('[data-testid=stats-table] [data-user=ada_test]', { timeout: 60_000 });

      await page.click('[data-testid=train-settings]');
      // Full fine-tuning of this tiny model fits anywhere: LoRA is off until the person turns it on.
      expect(await page.isChecked('[data-testid=train-setting-lora]')).toBe(false);
      await page.check('[data-testid=train-setting-lora]');
      const settings = { blockSize: 16, batchSize: 1, epochs: 1, lr: 0.05, checkpointEvery: 2, seed: 7, loraRank: R, loraAlpha: ALPHA };
      for (const [k, v] of Object.entries(settings)) await page.fill(`[data-testid=train-setting-${k}]`, String(v));
      await page.click('[data-testid=train-start]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step') ?? 0) >= 2, null, { timeout: 60_000, polling: 250 });
      await page.click('[data-testid=train-pause]');
      await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 60_000 });
      // With the model loaded, the page sizes both ways of training it.
      expect(await page.textContent('[data-testid=train-memory-choice]')).toMatch(/^Training memory at 1×16: full fine-tuning ≈ \d+ MB, LoRA r4 ≈ \d+ MB; /);
      expect(await page.isChecked('[data-testid=train-setting-lora]')).toBe(true);

      // A greedy sample through base + unmerged adapters.
      await page.fill('[data-testid=generate-panel] [data-setting=maxNewTokens]', '6');
      await page.fill('[data-testid=generate-panel] [data-setting=minNewTokens]', '6');
      await page.check('[data-testid=greedy]');
      await page.fill('[data-testid=generate-panel] [data-setting=numSamples]', '1');
      await page.click('[data-testid=generate]');
      await page.waitForSelector('[data-testid=samples][data-state=done]', { timeout: 60_000 });
      const [greedy] = await page.locator('[data-testid=sample]').allInnerTexts();
      expect(greedy.length).toBeGreaterThan('My dream is'.length);
      await screenshot(page, 'lora-qwen2-paused');

      const [download] = (await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('[data-testid=export-bundle]')])) as [Download, void];
      const file = path.join(DIR, 'downloads', download.suggestedFilename());
      await download.saveAs(file);
      const members = unzipSync(new Uint8Array(fs.readFileSync(file)));
      const peft = JSON.parse(strFromU8(members['adapter/adapter_config.json']));
      expect(peft).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: R, lora_alpha: ALPHA, target_modules: TARGETS, fan_in_fan_out: false });
      const adapter = readSafetensors(members['adapter/adapter_model.safetensors']);
      const keys: string[] = [];
      for (let l = 0; l < HF.num_hidden_layers; l++) for (const t of TARGETS) for (const w of ['A', 'B']) keys.push(`base_model.model.model.layers.${l}.self_attn.${t}.lora_${w}.weight`);
      expect([...adapter.keys()].sort()).toEqual(keys.sort());
      const merged = readSafetensors(members['model.safetensors']);
      const base = readSafetensors(new Uint8Array(fs.readFileSync(path.join(tinyLlamaDir('tiny-qwen2'), 'model.safetensors'))));
      let moved = 0;
      for (let l = 0; l < HF.num_hidden_layers; l++) {
        for (const t of TARGETS) {
          const name = `model.layers.${l}.self_attn.${t}.weight`;
          const [w, b] = [merged.get(name)!, base.get(name)!];
          const A = adapter.get(`base_model.model.${name.replace(/\.weight$/, '')}.lora_A.weight`)!;
          const B = adapter.get(`base_model.model.${name.replace(/\.weight$/, '')}.lora_B.weight`)!;
          const [out, inn] = w.shape;
          for (let o = 0; o < out; o++) {
            for (let i = 0; i < inn; i++) {
              let d = 0;
              for (let k = 0; k < R; k++) d += B.data[o * R + k] * A.data[k * inn + i];
              expect(Math.abs(w.data[o * inn + i] - (b.data[o * inn + i] + (ALPHA / R) * d))).toBeLessThan(1e-5);
              if (d !== 0) moved++;
            }
          }
        }
      }
      expect(moved).toBeGreaterThan(0); // the adapters trained
      // Everything else is the frozen base, bit for bit.
      const k = 'model.layers.0.self_attn.k_proj.weight';
      expect(Buffer.from(merged.get(k)!.data.buffer).equals(Buffer.from(new Float32Array(base.get(k)!.data).buffer))).toBe(true);
      const card = strFromU8(members['README.md']);
      expect(card).toContain(`rank r = ${R}, alpha = ${ALPHA}`);

      // The merged folder (no adapters anywhere) gives the page's greedy text.
      const bundleDir = path.join(DIR, 'bundle');
      fs.rmSync(bundleDir, { recursive: true, force: true });
      fs.mkdirSync(bundleDir);
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) fs.writeFileSync(path.join(bundleDir, f), members[f]);
      await tf.setBackend('cpu');
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no "install tfjs-node" banner
      const { model, tok } = await loadCliModel(bundleDir);
      const options = { ...DEFAULT_SAMPLE_OPTIONS, greedy: true, maxNewTokens: 6, minNewTokens: 6, numSamples: 1 };
      const [ref] = await generateAll(model, tok, DEFAULT_PROMPT, options).finally(() => model.dispose());
      expect(greedy).toBe(DEFAULT_PROMPT + ref.text);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000); // 55-80 s on 2 cores
});
