// How the worker sizes the model's tensors for training, and turns a checkpoint back into weights.
import { defaultMaxBufferBytes, type GPT2Config } from '../../lib/model/gpt2.ts';
import { innerSize } from '../../lib/model/config.ts';
import { LOSS_PIECE_ROWS } from '../../lib/train/loss.ts';
import { isVocabChunkKey, tableSlice, vocabChunksInOrder, type TrainerState } from '../../lib/train/trainer.ts';

/**
 * The largest tensor the model may hold: the device's limit, and no more than LOSS_PIECE_ROWS
 * embedding rows, so each vocabulary chunk is one piece of the chunked loss (its [B*T, rows]
 * logits stay small) and AdamW's per-parameter temporaries stay chunk-sized; but never less
 * than the MLP's [C, 4C] weight, the largest tensor a model cannot split (gpt2-xl's is 41 MB).
 */
export function trainingChunkBytes(config: GPT2Config): number {
  const C = config.n_embd;
  return Math.min(defaultMaxBufferBytes(), Math.max(LOSS_PIECE_ROWS * C, C * innerSize(config)) * 4);
}

/** HF-named weights from a training state (vocabulary chunks joined back into wte). */
export function weightsFromState(state: TrainerState): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const chunks = vocabChunksInOrder(state.params);
  const C = chunks[0].shape[1];
  const wte = tableSlice(chunks, 'data', 0, chunks.reduce((n, c) => n + c.data.length, 0));
  out.set('wte.weight', { shape: [wte.length / C, C], data: wte });
  for (const p of state.params) if (!isVocabChunkKey(p.key)) out.set(p.key, { shape: p.shape, data: p.data });
  return out;
}
