// WebGPU device loss during training (Dawn on SwiftShader in Node, the device destroyed
// mid-run): the session pauses and says so, and on resume gets a fresh device, rebuilds the
// model from the last checkpoint and trains on to the end. The model is tiny and byte-level
// (257 tokens: the 256 byte tokens + <|endoftext|>, no merges) so WebGPU steps stay cheap.
import 'fake-indexeddb/auto';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bytesToUnicode } from '../../src/lib/tokenizer/bpe';
import { syntheticWeights, syntheticConfig } from '../helpers/synthetic.ts';
import { setupNodeWebGPU } from '../helpers/node-webgpu';
import { sessionHarness } from '../helpers/session-harness';
import { gpt2Folder } from '../../src/lib/model/load';
import { readSafetensors } from '../../src/lib/model/safetensors';

const config = syntheticConfig({ vocab_size: 257, n_embd: 8, n_positions: 16 });
const vocab = Object.fromEntries([...bytesToUnicode().map((ch, b) => [ch, b]), ['<|endoftext|>', 256]]);

describe('WebGPU device loss', () => {
  let available = false;
  beforeAll(async () => {
    available = await setupNodeWebGPU();
  });

  it('pauses with a message, then resumes on a fresh device from the last checkpoint', async (ctx) => {
    if (!available) ctx.skip();
    const { session, of, next, send, prepared, failures } = sessionHarness({ backends: ['webgpu'] });

    await send({ type: 'init' });
    expect(of('backend')[0].name).toBe('webgpu');
    session.useFiles(gpt2Folder({ config, weights: syntheticWeights(config, 8), vocabJson: JSON.stringify(vocab), mergesTxt: '#version: 0.2\n' }), 'synthetic://bytes');
    await send({
      type: 'prepare',
      accounts: [{ username: 'a', texts: Array.from({ length: 12 }, (_, i) => `hi ${i} there`) }],
      settings: { blockSize: 8, batchSize: 2, epochs: 1, checkpointEvery: 2, lossReadEvery: 1, lr: 1e-3 },
    });
    const total = prepared()[0].sizes.totalSteps;
    expect(total).toBeGreaterThanOrEqual(5);
    await send({ type: 'start', name: 'device loss' });
    await next('checkpoint', (e) => e.step === 2);
    await next('step', (e) => e.step >= 3);

    // The GPU goes away (as when the driver resets or the GPU process crashes).
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await next('status', (e) => e.status === 'device-lost');
    await session.idle();
    const lost = of('status').find((s) => s.status === 'device-lost')!;
    expect(lost.message).toMatch(/GPU device was lost.*resume continues from the checkpoint at step [2-9]/);
    const resumeFrom = Number(/step (\d+)/.exec(lost.message!)![1]);
    const stepsBefore = of('step').length;

    await send({ type: 'resume' });
    await next('status', (e) => e.status === 'done' || e.status === 'paused');
    await session.idle();
    expect(failures().filter((e) => !e.startsWith('train: '))).toEqual([]);
    expect(of('status').at(-1)!.status).toBe('done');
    const after = of('step').slice(stepsBefore).map((e) => e.step);
    expect(after[0]).toBe(resumeFrom + 1);
    expect(after.at(-1)).toBe(total);
    expect(of('backend').length).toBe(2); // a second backend start: the fresh device
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('without a run, loads the model again on a fresh device; a finished run gets its weights back, untrained', async (ctx) => {
    if (!available) ctx.skip();
    const files = { config, weights: syntheticWeights(config, 8), vocabJson: JSON.stringify(vocab), mergesTxt: '#version: 0.2\n' };
    const { session, of, next, events, send, failures } = sessionHarness({ backends: ['webgpu'], loadUrl: async () => gpt2Folder({ ...files, weights: syntheticWeights(config, 8) }) });
    await send({ type: 'init' });
    await send({ type: 'load', source: { kind: 'url', url: 'synthetic://bytes' } });
    const greedy = { greedy: true, numSamples: 1, maxNewTokens: 4, minNewTokens: 4 };
    const sample = async (id: number) => {
      await send({ type: 'sample', id, prompt: 'hi', options: greedy });
      await next('sample-end', (e) => e.id === id);
      return of('sample').filter((e) => e.id === id).map((e) => e.text).join('');
    };
    const before = await sample(1);

    // Lost with nothing training: Resume loads the model again, and it writes what it wrote.
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await next('status', (e) => e.status === 'device-lost');
    expect(of('status').at(-1)!.message).toMatch(/GPU device was lost.*Resume loads the model again on a new device/);
    // Until then nothing uses the dead model, with a message that says what to do.
    await send({ type: 'sample', id: 9, prompt: 'hi', options: greedy });
    expect(failures()).toEqual(['sample: the GPU device was lost: press Resume in step 3 to bring the model back first']);
    await send({ type: 'resume' });
    expect(failures().slice(1)).toEqual([]);
    expect(of('status').at(-1)!.status).toBe('ready');
    expect(of('loaded').length).toBe(2);
    expect(await sample(2)).toBe(before);

    // A finished run, then lost: its weights come back from its last checkpoint, and it does not train again.
    await send({
      type: 'prepare',
      accounts: [{ username: 'a', texts: Array.from({ length: 12 }, (_, i) => `hi ${i} there`) }],
      settings: { blockSize: 8, batchSize: 2, epochs: 1, checkpointEvery: 50, lossReadEvery: 1, lr: 1e-2 },
    });
    await send({ type: 'start', name: 'finished' });
    await next('status', (e) => e.status === 'done');
    await session.idle();
    const trained = await sample(3);
    expect(trained).not.toBe(before);
    const steps = of('step').length;
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await next('status', (e) => e.status === 'device-lost' && events.indexOf(e) > events.findIndex((x) => x.type === 'status' && x.status === 'done'));
    expect(of('status').at(-1)!.message).toMatch(/Resume brings this run's weights back from the checkpoint at step \d+/);
    await send({ type: 'resume' });
    await session.idle();
    expect(failures().slice(1)).toEqual([]);
    expect(of('status').at(-1)!.status).toBe('done');
    expect(of('step').length).toBe(steps);
    expect(await sample(4)).toBe(trained);
  });

  it('brings a LoRA run back as its base as loaded with the adapters of its last checkpoint, and trains on to the end', async (ctx) => {
    if (!available) ctx.skip();
    const files = { config, weights: syntheticWeights(config, 8), vocabJson: JSON.stringify(vocab), mergesTxt: '#version: 0.2\n' };
    const { session, of, next, send, call, failures } = sessionHarness({ backends: ['webgpu'], loadUrl: async () => gpt2Folder({ ...files, weights: syntheticWeights(config, 8) }) });
    await send({ type: 'init' });
    await send({ type: 'load', source: { kind: 'url', url: 'synthetic://bytes' } });
    const weights = async () => readSafetensors((await call<{ bytes: Uint8Array }>({ type: 'export', kind: 'weights' })).bytes);
    const base = await weights();
    await send({
      type: 'prepare',
      accounts: [{ username: 'a', texts: Array.from({ length: 12 }, (_, i) => `hi ${i} there`) }],
      settings: { blockSize: 8, batchSize: 2, epochs: 1, checkpointEvery: 2, lossReadEvery: 1, lr: 1e-2, lora: true, loraRank: 2, loraAlpha: 4 },
    });
    await send({ type: 'start', name: 'lora device loss' });
    await next('checkpoint', (e) => e.step === 2);
    await next('step', (e) => e.step >= 3);
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await next('status', (e) => e.status === 'device-lost');
    await session.idle();
    const resumeFrom = Number(/checkpoint at step (\d+)/.exec(of('status').find((s) => s.status === 'device-lost')!.message!)![1]);
    const stepsBefore = of('step').length;
    await send({ type: 'resume' });
    await next('status', (e) => e.status === 'done' || e.status === 'paused');
    await session.idle();
    expect(failures().filter((e) => !e.startsWith('train: '))).toEqual([]);
    expect(of('status').at(-1)!.status).toBe('done');
    expect(of('step').slice(stepsBefore)[0].step).toBe(resumeFrom + 1);
    // Only the adapted matrices (GPT-2's c_attn, PEFT's default) differ from the base once merged.
    const merged = await weights();
    const moved = [...merged].filter(([name, t]) => t.data.some((x, i) => x !== base.get(name)!.data[i])).map(([name]) => name);
    expect(moved.sort()).toEqual(['transformer.h.0.attn.c_attn.weight', 'transformer.h.1.attn.c_attn.weight']);
  });
});
