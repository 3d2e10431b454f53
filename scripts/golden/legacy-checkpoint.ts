// Writes tests/golden/checkpoint-v0.json: a checkpoint as the code before the model-family seam
// stored it in IndexedDB (vocabulary-chunk keys `wte.weight#i`, no format version), with the
// loss of the step that follows it. Run once with that code (npx tsx scripts/golden/legacy-checkpoint.ts);
// tests/unit/storage-legacy.test.ts checks the current code resumes from it.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { GPT2 } from '../../src/lib/model/gpt2.ts';
import { Corpus, type CorpusAccount } from '../../src/lib/dataset/corpus.ts';
import { Trainer } from '../../src/lib/train/trainer.ts';
import { resolveTrainConfig } from '../../src/lib/train/config.ts';
import { syntheticConfig, syntheticTokens, syntheticWeights } from '../../src/lib/train/synthetic.ts';
import { db } from '../../src/lib/storage/db.ts';
import { saveCheckpoint } from '../../src/lib/storage/checkpoints.ts';

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

async function main() {
  await tf.setBackend('cpu');
  const modelConfig = syntheticConfig({ vocab_size: 20, n_positions: 8, n_embd: 4, n_layer: 1, n_head: 1 });
  const train = resolveTrainConfig({ blockSize: 4, batchSize: 2, epochs: 2, seed: 5, lr: 1e-2, lossReadEvery: 1, valFraction: 0 });
  const accounts: CorpusAccount[] = [{
    username: 'u0',
    tweets: Array.from({ length: 8 }, (_, i) => ({ ids: Array.from(syntheticTokens(3 + (i % 3), 19, 70 + i)), chars: 10 })),
  }];
  // 256 bytes: wte [20, 4] (320 bytes) splits into two vocabulary chunks.
  const model = GPT2.fromWeights(modelConfig, syntheticWeights(modelConfig, 3), { maxBufferBytes: 256 });
  const trainer = new Trainer(model, new Corpus(accounts, { ...train, eotId: 19 }), train);
  for (let i = 0; i < 3; i++) trainer.trainStep();
  const state = await trainer.snapshot();
  await saveCheckpoint('legacy', state);
  trainer.trainStep();
  await trainer.flush();
  const nextLoss = trainer.losses[trainer.losses.length - 1].loss;
  const d = await db();
  const record = (await d.getAll('checkpoints'))[0];
  const tensors = await d.getAll('tensors');
  const out = {
    made_by: 'scripts/golden/legacy-checkpoint.ts at 3b082c5 (before the model-family seam)',
    modelConfig,
    train,
    accounts,
    eotId: 19,
    maxBufferBytes: 256,
    record,
    tensors: tensors.map((t) => ({ ...t, data: b64(t.data), m: b64(t.m), v: b64(t.v) })),
    nextLoss,
  };
  fs.writeFileSync('tests/golden/checkpoint-v0.json', JSON.stringify(out) + '\n');
  console.log(record.paramKeys, nextLoss, fs.statSync('tests/golden/checkpoint-v0.json').size);
}
void main();
