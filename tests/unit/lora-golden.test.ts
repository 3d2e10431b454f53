// LoRA fine-tuning against PyTorch (scripts/golden/lora_golden.py) on tfjs' cpu backend (recomputing
// blocks and not) and wasm, then merge and generation: tests/helpers/lora-golden-suite.ts.
import { beforeAll } from 'vitest';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';
import { loraGoldenSuite } from '../helpers/lora-golden-suite.ts';

beforeAll(async () => {
  await importWasmBackend();
});

loraGoldenSuite([
  { backend: 'cpu', recompute: true, setup: async () => true, gradTol: 1e-4 },
  { backend: 'cpu', recompute: false, setup: async () => true, gradTol: 1e-4 },
  { backend: 'wasm', recompute: true, setup: async () => true, gradTol: 1e-4 },
], true);
