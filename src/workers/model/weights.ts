// How the worker sizes the model's tensors for training.
import type { GPT2Config } from '../../lib/model/gpt2/index.ts';
import { defaultMaxBufferBytes } from '../../lib/model/causal-lm.ts';
import { innerSize } from '../../lib/model/gpt2/config.ts';
import { LOSS_PIECE_ROWS } from '../../lib/model/loss.ts';

export { weightsFromState } from '../../lib/train/trainer.ts';

/**
 * The largest tensor the model may hold: the device's limit, and no more than LOSS_PIECE_ROWS
 * embedding rows, so each vocabulary slice is one piece of the chunked loss (its [B*T, rows]
 * logits stay small) and AdamW's per-parameter temporaries stay slice-sized; but never less
 * than the MLP's [C, 4C] weight, the largest tensor a model cannot split (gpt2-xl's is 41 MB).
 */
export function trainingChunkBytes(config: GPT2Config): number {
  const C = config.n_embd;
  return Math.min(defaultMaxBufferBytes(), Math.max(LOSS_PIECE_ROWS * C, C * innerSize(config)) * 4);
}
