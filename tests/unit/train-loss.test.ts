import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { chunkedCrossEntropy, chunkedNll, LOSS_PIECE_ROWS } from '../../src/lib/model/loss';
import { importWasmBackend } from '../../src/lib/wasm-matmul';

// Deterministic pseudo-random data without tf's RNG (so values do not depend on op order).
function data(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

function chunksOf(w: tf.Variable, size: number) {
  const V = w.shape[0];
  const out = [];
  for (let start = 0; start < V; start += size) {
    const sz = Math.min(size, V - start);
    out.push({ start, size: sz, weight: tf.variable(tf.slice(w, [start, 0], [sz, -1]) as tf.Tensor2D, true) });
  }
  return out;
}

/** The reference: whole logits, log-softmax, pick the target, autodiff does the rest. */
function naiveLoss(h: tf.Tensor2D, w: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const logits = tf.matMul(h, w, false, true); // [N, V]
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, w.shape[0], 1, 0, 'float32')), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('chunked cross-entropy', () => {
  const N = 24, C = 8, V = 1000;

  it('matches whole-logit cross-entropy: value, dL/dh and dL/dW, with uneven chunks', () => {
    const wFull = tf.variable(tf.tensor2d(data(V * C, 1, 0.5), [V, C]), true, 'wfull');
    const hVal = tf.tensor2d(data(N * C, 2, 2), [N, C]);
    const targets = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 337 + 5) % V), 'int32');
    targets.bufferSync().set(V - 1, 3); // last row of the last (short) chunk
    targets.bufferSync().set(0, 4);
    const chunks = chunksOf(wFull, 300); // 300, 300, 300, 100

    const ref = tf.valueAndGrads((h: tf.Tensor) => naiveLoss(h as tf.Tensor2D, wFull, targets))([hVal]);
    const refW = tf.variableGrads(() => naiveLoss(hVal, wFull, targets), [wFull]);
    const got = tf.valueAndGrads((h: tf.Tensor) => chunkedCrossEntropy(h as tf.Tensor2D, chunks, targets))([hVal]);
    const gotW = tf.variableGrads(
      () => chunkedCrossEntropy(hVal, chunks, targets),
      chunks.map((c) => c.weight),
    );
    expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    expect(tf.max(tf.abs(tf.sub(got.grads[0], ref.grads[0]))).dataSync()[0]).toBeLessThan(1e-6);
    const dw = tf.concat(chunks.map((c) => gotW.grads[c.weight.name]), 0);
    const refDw = refW.grads[wFull.name];
    expect(tf.max(tf.abs(tf.sub(dw, refDw))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(refDw)).dataSync()[0]).toBeGreaterThan(1e-3); // the check is not vacuous

    // Pieces smaller than the chunks (as distilgpt2's 25k-row chunks are walked 8192 rows at a time).
    const gotPieces = tf.variableGrads(() => chunkedCrossEntropy(hVal, chunks, targets, 128), chunks.map((c) => c.weight));
    expect(gotPieces.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    const dwPieces = tf.concat(chunks.map((c) => gotPieces.grads[c.weight.name]), 0);
    expect(tf.max(tf.abs(tf.sub(dwPieces, refDw))).dataSync()[0]).toBeLessThan(1e-6);

    const nll = chunkedNll(hVal, chunks, targets);
    expect(tf.mean(nll).dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
  });

  // A frozen table (LoRA) walks the vocabulary once, keeping the softmax online (frozenTableWalk).
  // The reference is whole logits on cpu (tfjs-wasm's float32 OneHot is broken, see below).
  it.each([['cpu'], ['wasm']])('with a frozen table (one walk, dh kept online) has whole-logit dL/dh on %s', async (backend) => {
    const wData = data(V * C, 11, 0.5);
    const hData = data(N * C, 12, 6); // large logits: the running maximum grows across pieces
    const T = Array.from({ length: N }, (_, i) => (i * 211 + 7) % V);
    const run = (loss: (h: tf.Tensor2D, w: tf.Variable, t: tf.Tensor1D) => tf.Scalar) => {
      const w = tf.variable(tf.tensor2d(wData, [V, C]), true);
      const targets = tf.tensor1d(T, 'int32');
      const { value, grads } = tf.valueAndGrads((h: tf.Tensor) => loss(h as tf.Tensor2D, w, targets))([tf.tensor2d(hData, [N, C])]);
      const out = { value: value.dataSync()[0], dh: Float32Array.from(grads[0].dataSync()) };
      tf.dispose([w, targets, value, ...grads]);
      return out;
    };
    await tf.setBackend('cpu');
    const ref = run((h, w, t) => naiveLoss(h, w as tf.Tensor as tf.Tensor2D, t));
    if (backend === 'wasm') await importWasmBackend();
    expect(await tf.setBackend(backend)).toBe(true);
    try {
      const scale = Math.max(...ref.dh.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3); // the check is not vacuous
      for (const rows of [LOSS_PIECE_ROWS, 128]) {
        const got = run((h, w, t) => {
          const chunks = chunksOf(w, 300);
          const loss = chunkedCrossEntropy(h, chunks, t, rows, true);
          tf.dispose(chunks.map((c) => c.weight));
          return loss;
        });
        expect(got.value).toBeCloseTo(ref.value, 4);
        expect(Math.max(...got.dh.map((x, i) => Math.abs(x - ref.dh[i])))).toBeLessThan(1e-5 * scale);
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('never holds whole logits: peak memory of loss + gradients stays far below [N, V]', async () => {
    const Vbig = 8192, Cs = 4, Ns = 32, chunk = 256;
    const w = tf.variable(tf.tensor2d(data(Vbig * Cs, 3, 0.5), [Vbig, Cs]), true);
    const chunks = chunksOf(w, chunk);
    const h = tf.variable(tf.tensor2d(data(Ns * Cs, 4), [Ns, Cs]), true);
    const targets = tf.tensor1d(Array.from({ length: Ns }, (_, i) => (i * 997) % Vbig), 'int32');
    const logitsBytes = Ns * Vbig * 4; // 1 MiB
    const weightBytes = Vbig * Cs * 4; // 128 KiB: the gradient of W must exist whole, as chunks

    // tf.profile's peakBytes is absolute: subtract what was alive before.
    const peak = async (f: () => tf.TensorContainer) => {
      const before = tf.memory().numBytes;
      let out: tf.TensorContainer = [];
      const info = await tf.profile(() => (out = f()));
      tf.dispose(out);
      return info.peakBytes - before;
    };
    const chunked = await peak(() => {
      const { value, grads } = tf.variableGrads(() => chunkedCrossEntropy(h, chunks, targets), [h, ...chunks.map((c) => c.weight)]);
      return [value, ...Object.values(grads)];
    });
    const naive = await peak(() => {
      const { value, grads } = tf.variableGrads(() => naiveLoss(h, w, targets), [h, w]);
      return [value, ...Object.values(grads)];
    });
    // Chunked: dW (128 KiB, as chunks) + a few [N, chunk] buffers (32 KiB each); naive: several [N, V].
    expect(chunked).toBeLessThan(weightBytes + logitsBytes / 4);
    expect(naive).toBeGreaterThan(2 * logitsBytes);
  });

  it('leaks no tensors', () => {
    const w = tf.variable(tf.tensor2d(data(V * C, 5, 0.5), [V, C]), true);
    const chunks = chunksOf(w, 256);
    const h = tf.variable(tf.tensor2d(data(N * C, 6), [N, C]), true);
    const targets = tf.tensor1d(Array.from({ length: N }, (_, i) => i * 13), 'int32');
    const step = () => {
      const { value, grads } = tf.variableGrads(() => chunkedCrossEntropy(h, chunks, targets), [h, ...chunks.map((c) => c.weight)]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const n = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(n);
  });
});

describe('chunked cross-entropy on wasm', () => {
  it('equals log-softmax at the target computed in plain JavaScript (tfjs-wasm OneHot ignores float32)', async () => {
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const N = 6, C = 4, V = 50;
      const hData = data(N * C, 7, 2), wData = data(V * C, 8, 0.5);
      const T = [0, 49, 17, 16, 33, 5];
      // float64 reference, no tfjs at all
      const want = T.map((t, n) => {
        const logits = Array.from({ length: V }, (_, v) => {
          let s = 0;
          for (let c = 0; c < C; c++) s += hData[n * C + c] * wData[v * C + c];
          return s;
        });
        const m = Math.max(...logits);
        return m + Math.log(logits.reduce((a, l) => a + Math.exp(l - m), 0)) - logits[t];
      });
      const w = tf.variable(tf.tensor2d(wData, [V, C]), true);
      const chunks = chunksOf(w, 16); // 16, 16, 16, 2 rows, each walked in pieces of 8
      const h = tf.tensor2d(hData, [N, C]);
      const targets = tf.tensor1d(T, 'int32');
      const nll = chunkedNll(h, chunks, targets, 8);
      const mean = chunkedCrossEntropy(h, chunks, targets, 8);
      const got = Array.from(await nll.data());
      for (let n = 0; n < N; n++) expect(Math.abs(got[n] - want[n]), `row ${n}`).toBeLessThan(1e-4);
      expect(Math.abs((await mean.data())[0] - want.reduce((a, b) => a + b) / N)).toBeLessThan(1e-4);
      tf.dispose([w, h, targets, nll, mean, ...chunks.map((c) => c.weight)]);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('has the gradients of whole-logit cross-entropy on cpu, with targets outside most chunks (the transposed one-hot)', async () => {
    const N = 6, C = 4, V = 50;
    const hData = data(N * C, 9, 2), wData = data(V * C, 10, 0.5);
    const T = [0, 49, 17, 16, 33, 48]; // first and last rows, both sides of a chunk edge, the short chunk
    const grads = (chunked: boolean) => {
      const w = tf.variable(tf.tensor2d(wData, [V, C]), true);
      const h = tf.tensor2d(hData, [N, C]);
      const targets = tf.tensor1d(T, 'int32');
      const chunks = chunksOf(w, 16); // 16, 16, 16, 2 rows; pieces of 8
      const loss = (x: tf.Tensor) => (chunked ? chunkedCrossEntropy(x as tf.Tensor2D, chunks, targets, 8) : naiveLoss(x as tf.Tensor2D, w, targets));
      const dh = tf.grad(loss)(h);
      const dw = chunked ? tf.concat(chunks.map((c) => tf.grad((wc: tf.Tensor) => chunkedCrossEntropy(h, chunks.map((d) => (d === c ? { ...d, weight: wc as tf.Tensor2D } : d)), targets, 8))(c.weight)), 0) : tf.grad((x: tf.Tensor) => naiveLoss(h, x as tf.Tensor2D, targets))(w);
      const out = [dh.dataSync().slice(), dw.dataSync().slice()];
      tf.dispose([w, h, targets, dh, dw, ...chunks.map((c) => c.weight)]);
      return out;
    };
    const [dhRef, dwRef] = grads(false); // cpu
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const [dh, dw] = grads(true);
      for (let i = 0; i < dh.length; i++) expect(Math.abs(dh[i] - dhRef[i]), `dh ${i}`).toBeLessThan(1e-5);
      for (let i = 0; i < dw.length; i++) expect(Math.abs(dw[i] - dwRef[i]), `dW ${i}`).toBeLessThan(1e-5);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
