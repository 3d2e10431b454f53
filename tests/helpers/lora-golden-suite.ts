// The LoRA golden suite (tests/unit/lora-golden.test.ts on cpu and wasm; on WebGPU
// lora-webgpu.test.ts for GPT-2 and lora-qwen2-webgpu.test.ts, a process each: Dawn on
// SwiftShader crashes ("futex facility returned an unexpected error code") beside wasm's threads,
// and after both families' runs in one process).
//
// LoRA fine-tuning against PyTorch (scripts/golden/lora_golden.py: an independent LoRA written
// from PEFT's conventions on the float64 reference models, torch autograd, clip_grad_norm_,
// torch.optim.AdamW) through the real trainer's step, for GPT-2 (fused Conv1D c_attn, c_proj,
// c_fc) and Qwen2 (nn.Linear q, k, v, o, gate, up, down): the adapted modules and PEFT's keys,
// the loss and every adapter gradient of one batch, the adapters after three accumulated,
// clipped AdamW steps, and the merged weights W + scaling BA; on cpu (recomputing blocks and
// not), wasm and WebGPU.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { readParameter } from '../../src/lib/model/parameters.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { AdamW } from '../../src/lib/train/adamw.ts';
import { lossAndGrads, optimizerStep } from '../../src/lib/train/step.ts';
import { trainableParams } from '../../src/lib/train/trainer.ts';
import { attachLora, detachLora, type LoraAdapters } from '../../src/lib/lora/adapters.ts';
import { peftKey } from '../../src/lib/lora/peft.ts';
import { syntheticTokens, syntheticWeights } from './synthetic.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from './synthetic-llama.ts';
import { gpt2LoraModules, llamaLoraModules, syntheticLora } from './synthetic-lora.ts';
import type { GPT2Config } from '../../src/lib/model/gpt2/index.ts';
import { f32, maxAbs, relErr, type Stored } from './golden-tensors.ts';

const golden = JSON.parse(fs.readFileSync('tests/golden/lora-tiny.json', 'utf8'));
const B: number = golden.batch;
const T: number = golden.block;

const stored = (o: Record<string, Stored>) => new Map(Object.entries(o).map(([k, s]) => [k, { shape: s.shape, data: f32(s) }]));

/** Per adapter tensor by PEFT key, the values of `byVariable` (keyed by variable name) read back. */
async function byPeftKey(adapters: LoraAdapters, byVariable: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const pair of adapters.pairs) {
    for (const [which, name] of [['A', pair.a], ['B', pair.b]] as const) {
      const variable = adapters.parameter(name);
      out.set(peftKey(pair, which), (await byVariable.get(variable.name)!.data()) as Float32Array);
    }
  }
  return out;
}

const FAMILY_CASES = {
  gpt2: {
    weights: (g: { config: GPT2Config; weight_seed: number }) => syntheticWeights(FAMILIES.gpt2.parseConfig(g.config) as GPT2Config, g.weight_seed),
    // The synthetic adapters of the golden (the LCG, PEFT's module order), by PEFT key.
    lora: (g: { config: GPT2Config }) => syntheticLora(gpt2LoraModules(g.config), golden.families.gpt2.lora.r, golden.families.gpt2.lora.seed, golden.families.gpt2.lora.b_scale),
  },
  qwen2: {
    weights: (g: { weight_seed: number }) => syntheticLlamaWeights(SYNTHETIC_LLAMAS.qwen2, g.weight_seed),
    lora: () => syntheticLora(llamaLoraModules(SYNTHETIC_LLAMAS.qwen2), golden.families.qwen2.lora.r, golden.families.qwen2.lora.seed, golden.families.qwen2.lora.b_scale),
  },
} as const;

export interface GoldenRun {
  backend: string;
  recompute: boolean;
  /** Makes the backend available (true), or says why not. */
  setup: () => Promise<boolean>;
  gradTol: number;
  /** The three-step test's limit, ms (SwiftShader takes 60-90 s of it on a loaded machine). */
  timeout?: number;
}

/** The suite on each of `runs` for `kinds`, then merge and generation on cpu (when `withMerge`). */
export function loraGoldenSuite(runs: readonly GoldenRun[], withMerge: boolean, kinds: readonly ('gpt2' | 'qwen2')[] = ['gpt2', 'qwen2']): void {
  for (const kind of kinds) {
    const g = golden.families[kind];
    const family = FAMILIES[kind];
    const config = family.parseConfig(g.config);
    const vocab: number = g.config.vocab_size;
    const lora = { r: g.lora.r, alpha: g.lora.lora_alpha, dropout: g.lora.lora_dropout, targets: g.lora.target_modules };
    const rows = (seed: number) => syntheticTokens(B * (T + 1), vocab, seed);
    // maxBufferBytes 2048 splits the 101-row vocabulary tables into slices, as WebGPU's limit does.
    const base = () => CausalLM.fromWeights(family, config, FAMILY_CASES[kind].weights(g), { maxBufferBytes: 2048 });
    const withGoldenAdapters = (peft = FAMILY_CASES[kind].lora(g)) => {
      const model = base();
      return { model, adapters: attachLora(model, lora, { peft }) };
    };

    for (const { backend, recompute, setup, gradTol, timeout } of runs) {
      describe(`${kind} LoRA golden values vs PyTorch (${backend}, ${recompute ? 'recomputing blocks' : 'plain autodiff'})`, () => {
        beforeAll(async () => {
          expect(await setup()).toBe(true); // throws under CI where WebGPU is missing
          expect(await tf.setBackend(backend)).toBe(true);
          (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
        });

        it('adapts the golden\'s modules, in PEFT\'s order, with its sizes and key names', () => {
          const { model, adapters } = withGoldenAdapters();
          expect(adapters.pairs.map((p) => ({ path: p.hfPath, in: p.in, out: p.out, lora_A: peftKey(p, 'A'), lora_B: peftKey(p, 'B') }))).toEqual(g.modules);
          expect(adapters.scaling).toBe(g.lora.scaling);
          expect(adapters.pairs.every((p) => p.fanInFanOut === g.lora.fan_in_fan_out)).toBe(true);
          detachLora(model);
          model.dispose();
        });

        it('loss and every adapter gradient of one batch (rel err < 1e-4); base weights get none', async () => {
          const { model, adapters } = withGoldenAdapters();
          const opt = new AdamW(trainableParams(model));
          expect(opt.params.length).toBe(2 * g.modules.length); // the adapters only
          const { loss, grads } = lossAndGrads(model, opt, rows(g.grad.batch_seed), { batchSize: B, blockSize: T, training: false, recompute });
          expect(Math.abs((await loss.data())[0] - g.grad.loss)).toBeLessThan(1e-5 * g.grad.loss);
          expect(grads.size).toBe(2 * g.modules.length);
          const got = await byPeftKey(adapters, grads);
          expect([...got.keys()].sort()).toEqual(Object.keys(g.grad.grads).sort());
          for (const [key, s] of Object.entries(g.grad.grads as Record<string, Stored>)) {
            const err = relErr(got.get(key)!, f32(s));
            expect(err, `${key}: rel err ${err}`).toBeLessThan(gradTol);
          }
          tf.dispose([loss, ...grads.values()]);
          opt.dispose();
          detachLora(model);
          model.dispose();
        });

        it('adapters after three AdamW steps with accumulation and clipping; the base untouched', async () => {
          const { model, adapters } = withGoldenAdapters();
          const baseBefore = new Map(await Promise.all(model.parameters.map(async (p) => [p.name, await readParameter(p)] as const)));
          const a = golden.adamw;
          const params = trainableParams(model);
          const opt = new AdamW(params, { weightDecay: a.weight_decay, beta1: a.betas[0], beta2: a.betas[1], eps: a.eps });
          for (const s of g.adamw.steps) {
            const { loss, norm } = optimizerStep(
              model, opt, s.seeds.map((seed: number) => ({ rows: rows(seed) })),
              { batchSize: B, blockSize: T, lr: s.lr, clipNorm: a.clip, training: false, recompute },
            );
            expect(Math.abs((await loss.data())[0] - s.loss)).toBeLessThan(1e-5 * s.loss);
            expect(Math.abs((await norm.data())[0] - s.grad_norm)).toBeLessThan(1e-4 * s.grad_norm);
            tf.dispose([loss, norm]);
          }
          expect(g.adamw.steps.some((s: { grad_norm: number }) => s.grad_norm > a.clip)).toBe(true); // clipping ran
          const got = await byPeftKey(adapters, new Map(params.map((p) => [p.key, p.variable])));
          const init = FAMILY_CASES[kind].lora(g);
          for (const [key, s] of Object.entries(g.adamw.adapters as Record<string, Stored>)) {
            const want = f32(s);
            const err = maxAbs(got.get(key)!, want);
            expect(err, `${key}: max abs err ${err}`).toBeLessThan(1e-5);
            expect(maxAbs(init.get(key)!.data, want), `${key} moved`).toBeGreaterThan(1e-3); // not vacuous
          }
          for (const p of model.parameters) expect(await readParameter(p), p.name).toEqual(baseBefore.get(p.name));
          opt.dispose();
          detachLora(model);
          model.dispose();
        }, timeout);
      });
    }

    if (!withMerge) continue;
    describe(`${kind} LoRA merge and generation (cpu)`, () => {
      beforeAll(async () => {
        expect(await tf.setBackend('cpu')).toBe(true);
      });

      it('merges into W + scaling BA in the base layout, under the base architecture\'s names (the golden\'s)', async () => {
        const { model } = withGoldenAdapters(stored(g.adamw.adapters));
        const merged = family.toHF(config, await model.exportWeights());
        const want = stored(g.merged.weights);
        const plain = family.toHF(config, family.fromHF(config, FAMILY_CASES[kind].weights(g)));
        expect([...merged.keys()]).toEqual([...plain.keys()]);
        for (const [name, w] of want) {
          expect(merged.get(name)!.shape, name).toEqual(w.shape);
          const err = maxAbs(merged.get(name)!.data, w.data);
          expect(err, `${name}: max abs err ${err}`).toBeLessThan(2e-7 * 8);
          expect(maxAbs(plain.get(name)!.data, w.data), `${name} changed`).toBeGreaterThan(1e-3);
        }
        // Every other weight is the base's, bit for bit.
        for (const [name, w] of merged) if (!want.has(name)) expect(w.data, name).toEqual(plain.get(name)!.data);
        detachLora(model);
        model.dispose();
      });

      it('the merged model, the unmerged adapters and the golden give one loss; so do their logits', async () => {
        const { model } = withGoldenAdapters(stored(g.adamw.adapters));
        const mergedModel = CausalLM.fromWeights(family, config, family.toHF(config, await model.exportWeights()), { maxBufferBytes: 2048 });
        const x = rows(g.grad.batch_seed);
        const ids = tf.tensor2d(x, [B, T + 1], 'int32');
        const inputs = tf.slice(ids, [0, 0], [B, T]) as tf.Tensor2D;
        const targets = tf.reshape(tf.slice(ids, [0, 1], [B, T]), [B * T]) as tf.Tensor1D;
        const lossOf = async (m: CausalLM) => {
          const h = m.hidden(inputs);
          const l = tf.mean(m.tokenLosses(h, targets));
          const logits = m.logits(h);
          const out = { loss: (await l.data())[0], logits: (await logits.data()) as Float32Array };
          tf.dispose([h, l, logits]);
          return out;
        };
        const unmerged = await lossOf(model);
        const merged = await lossOf(mergedModel);
        expect(Math.abs(unmerged.loss - g.merged.loss)).toBeLessThan(1e-5 * g.merged.loss);
        expect(Math.abs(merged.loss - g.merged.loss)).toBeLessThan(1e-5 * g.merged.loss);
        expect(Math.abs(unmerged.loss - g.grad.base_loss)).toBeGreaterThan(1e-2); // the adapters matter
        expect(maxAbs(unmerged.logits, merged.logits)).toBeLessThan(1e-5);
        tf.dispose([ids, inputs, targets]);
        mergedModel.dispose();
        detachLora(model);
        model.dispose();
      });
    });
  }
}
