// The learning-rate schedule: nanoGPT's get_lr, cosine from the peak rate down to minLr
// (0, as Hugging Face's cosine schedule decays to) over the whole run, after an optional
// linear warmup.

export interface Schedule {
  lr: number; // peak learning rate (1.372e-4: huggingtweets' rate)
  warmupSteps: number; // 0 for none
  totalSteps: number; // the step at which the rate reaches minLr
  minLr?: number; // 0
}

/** Learning rate for optimizer step `it` (0-based). */
export function learningRate(it: number, s: Schedule): number {
  const minLr = s.minLr ?? 0;
  // 1) linear warmup for warmupSteps steps (never a zero-rate first step)
  if (it < s.warmupSteps) return (s.lr * (it + 1)) / (s.warmupSteps + 1);
  // 2) past the decay horizon, the minimum rate
  if (it > s.totalSteps) return minLr;
  // 3) in between, cosine decay down to the minimum rate
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const decayRatio = (it - s.warmupSteps) / span;
  const coeff = 0.5 * (1 + Math.cos(Math.PI * decayRatio)); // 1 -> 0
  return minLr + coeff * (s.lr - minLr);
}
