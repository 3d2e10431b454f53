// 'prepare': the kept tweets tokenized (by the tokenizer workers, or on this thread) and the
// corpus sized for the settings, with the storage a run of it will need. Only the newest counts.
import { Corpus, corpusAccounts } from '../../lib/dataset/corpus.ts';
import { etaSeconds } from '../../lib/eta.ts';
import { KEEP_CHECKPOINTS, accountsBytes, checkpointBytes, packAccounts } from '../../lib/storage/checkpoints.ts';
import { checkStorage } from '../../lib/storage/quota.ts';
import { unpack } from '../../lib/tokenizer/packed-ids.ts';
import { resolveTrainConfig, type TrainConfig } from '../../lib/train/config.ts';
import { PREPARE_SUPERSEDED, type PreparedInfo } from './protocol.ts';
import type { SessionCore } from './state.ts';
import { runLoraConfig, trainedCountOf } from './weights.ts';

/** 'prepare-progress' events at most this often: more would only flood the page. */
const PROGRESS_EVERY_MS = 100;

/** An error that says a newer prepare took this one's place. */
export class Superseded extends Error {
  constructor() {
    super(PREPARE_SUPERSEDED);
  }
}

export async function prepare(
  core: SessionCore,
  groups: { username: string; texts: string[] }[],
  settings: Partial<TrainConfig>,
): Promise<PreparedInfo> {
  if (core.training) throw new Error('pause or cancel training before changing its data or settings');
  const base = core.base('load a model before preparing the corpus');
  const { tok, encoder } = base;
  const config = resolveTrainConfig(settings, base.family.dims(base.config).positions);
  core.preparing?.abort(); // only the newest prepare counts
  const ctl = new AbortController();
  core.preparing = ctl;
  try {
    const t0 = performance.now();
    let lastEmit = -Infinity;
    const { ids, workers } = await encoder.encode(
      groups.flatMap((g) => g.texts),
      {
        signal: ctl.signal,
        onProgress: ({ texts, totalTexts, tokens }) => {
          const now = performance.now();
          if (texts < totalTexts && now - lastEmit < PROGRESS_EVERY_MS) return;
          lastEmit = now;
          core.emit({ type: 'prepare-progress', texts, totalTexts, tokens, etaSec: etaSeconds(texts, totalTexts, now - t0) });
        },
      },
    );
    const perText = unpack(ids);
    const tokenized = { texts: perText.length, workers, ms: performance.now() - t0 };
    let first = 0;
    const accounts = corpusAccounts(groups, groups.map((g) => perText.slice(first, (first += g.texts.length))));
    // Samples are separated by the model's own end-of-text token (GPT-2's and Qwen2.5's <|endoftext|>).
    const corpus = new Corpus(accounts, { ...config, eotId: tok.eotId });
    // A LoRA run's checkpoints hold its adapters and their moments alone.
    const ckBytes = checkpointBytes(trainedCountOf(base.family, base.config, runLoraConfig(base.family, config)));
    // The kept checkpoints, plus the one being written before the oldest is pruned, plus the corpus.
    const need = (KEEP_CHECKPOINTS + 1) * ckBytes + accountsBytes(packAccounts(accounts));
    const storage = await checkStorage(need);
    if (ctl.signal.aborted) throw new Superseded();
    core.prepared = { accounts, config, corpus };
    return { sizes: corpus.sizes, config, checkpointBytes: ckBytes, storage: { ok: storage.ok, message: storage.message, needBytes: need }, tokenized };
  } catch (e) {
    if (ctl.signal.aborted) throw new Superseded(); // the newer prepare replies with the sizes
    throw e;
  } finally {
    if (core.preparing === ctl) core.preparing = null;
  }
}
