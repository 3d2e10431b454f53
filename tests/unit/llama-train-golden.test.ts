// Fine-tuning a Llama and a Qwen2 against PyTorch (scripts/golden/llama_train_golden.py:
// llama_ref.py's float64 model, torch autograd, clip_grad_norm_, torch.optim.AdamW) through the
// real trainer's step: the loss and every parameter's gradient for one batch, then every weight
// after three accumulated, clipped AdamW steps; with per-block recomputation and without (cpu),
// and on wasm.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { AdamW } from '../../src/lib/train/adamw.ts';
import { lossAndGrads, optimizerStep } from '../../src/lib/train/step.ts';
import { trainableParams } from '../../src/lib/train/trainer.ts';
import { syntheticTokens } from '../helpers/synthetic.ts';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from '../helpers/synthetic-llama.ts';
import { f32, maxAbs, relErr, type Stored } from '../helpers/golden-tensors.ts';

const golden = JSON.parse(fs.readFileSync('tests/golden/train-llama-tiny.json', 'utf8'));
const B: number = golden.batch;
const T: number = golden.block;

/** Hugging Face's name of a logical parameter. */
const hfName = (n: string) => (n === 'lm_head.weight' ? n : 'model.' + n);

/** Per parameter (by Hugging Face name), its slices' tensors read back end to end. */
async function byHFName(model: CausalLM, values: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of model.parameters) {
    const parts = await Promise.all(p.slices.map(async (v) => (await values.get(v.name)!.data()) as Float32Array));
    const whole = new Float32Array(parts.reduce((n, d) => n + d.length, 0));
    parts.reduce((at, d) => (whole.set(d, at), at + d.length), 0);
    out.set(hfName(p.name), whole);
  }
  return out;
}

beforeAll(async () => {
  await importWasmBackend();
});

// recompute: the per-block recomputing path (recompute.ts, the trainer's default) or plain
// autodiff; wasm runs the transposed nn.Linear products through wasm-matmul.ts' rewrites.
const RUNS = [
  { backend: 'cpu', recompute: true },
  { backend: 'cpu', recompute: false },
  { backend: 'wasm', recompute: true },
] as const;

for (const kind of ['qwen2', 'llama'] as const) {
  const g = golden.models[kind];
  const family = FAMILIES[kind];
  const config = family.parseConfig(g.config);
  const vocab = (g.config as { vocab_size: number }).vocab_size;
  const rows = (seed: number) => syntheticTokens(B * (T + 1), vocab, seed);
  // maxBufferBytes 2048 splits the 101-row vocabulary tables into slices, as WebGPU's limit does.
  const build = () => CausalLM.fromWeights(family, config, syntheticLlamaWeights(SYNTHETIC_LLAMAS[kind], g.weight_seed), { maxBufferBytes: 2048 });

  for (const { backend, recompute } of RUNS) {
    describe(`${kind} training golden values vs PyTorch (${backend}, ${recompute ? 'recomputing blocks' : 'plain autodiff'})`, () => {
      beforeAll(async () => {
        expect(await tf.setBackend(backend)).toBe(true);
        (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
      });

      it('the synthetic weights are the golden run\'s, in its parameter order', () => {
        const weights = syntheticLlamaWeights(SYNTHETIC_LLAMAS[kind], g.weight_seed);
        expect([...weights.keys()]).toEqual(g.param_order);
        const model = build();
        expect(model.parameters.map((p) => hfName(p.name))).toEqual(g.param_order);
        expect(model.parameter('embed_tokens.weight').slices.length).toBeGreaterThan(1);
        model.dispose();
      });

      it('loss and every parameter gradient of one batch (rel err < 1e-3)', async () => {
        const model = build();
        const opt = new AdamW(trainableParams(model));
        const { loss, grads } = lossAndGrads(model, opt, rows(g.grad.batch_seed), { batchSize: B, blockSize: T, training: false, recompute });
        expect(Math.abs((await loss.data())[0] - g.grad.loss)).toBeLessThan(1e-5 * g.grad.loss);
        const got = await byHFName(model, grads);
        expect([...got.keys()].sort()).toEqual(Object.keys(g.grad.grads).sort());
        for (const [name, stored] of Object.entries(g.grad.grads as Record<string, Stored>)) {
          const want = f32(stored);
          expect(got.get(name)!.length, name).toBe(want.length);
          const err = relErr(got.get(name)!, want);
          expect(err, `${name}: rel err ${err}`).toBeLessThan(1e-3);
        }
        tf.dispose([loss, ...grads.values()]);
        opt.dispose();
        model.dispose();
      });

      it('weights after three AdamW steps with accumulation and clipping (< 1e-4)', async () => {
        const model = build();
        const params = trainableParams(model);
        const a = golden.adamw;
        const opt = new AdamW(params, { weightDecay: a.weight_decay, beta1: a.betas[0], beta2: a.betas[1], eps: a.eps });
        for (const s of g.adamw.steps) {
          const { loss, norm } = optimizerStep(
            model, opt, s.seeds.map((seed: number) => ({ rows: rows(seed) })),
            { batchSize: B, blockSize: T, lr: s.lr, clipNorm: a.clip, training: false, recompute },
          );
          expect(Math.abs((await loss.data())[0] - s.loss)).toBeLessThan(1e-5 * s.loss);
          expect(Math.abs((await norm.data())[0] - s.grad_norm)).toBeLessThan(1e-3 * s.grad_norm);
          tf.dispose([loss, norm]);
        }
        const got = await byHFName(model, new Map(params.map((p) => [p.key, p.variable])));
        for (const [name, stored] of Object.entries(g.adamw.weights as Record<string, Stored>)) {
          const err = maxAbs(got.get(name)!, f32(stored));
          expect(err, `${name}: max abs err ${err}`).toBeLessThan(1e-4);
        }
        // The steps moved the weights well beyond the tolerance (the check is not vacuous).
        const start = syntheticLlamaWeights(SYNTHETIC_LLAMAS[kind], g.weight_seed);
        const q = 'model.layers.0.self_attn.q_proj.weight';
        expect(maxAbs(start.get(q)!.data, f32(g.adamw.weights[q]))).toBeGreaterThan(1e-3);
        opt.dispose();
        model.dispose();
      });
    });
  }
}
