// LoRA fine-tuning against PyTorch (scripts/golden/lora_golden.py) on tfjs' WebGPU backend (Dawn
// on SwiftShader: its fused loss with a frozen head, LayerNorm, GELU and AdamW kernels), in a
// process of its own: tests/helpers/lora-golden-suite.ts.
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { loraGoldenSuite } from '../helpers/lora-golden-suite.ts';

loraGoldenSuite([{ backend: 'webgpu', recompute: true, setup: () => setupNodeWebGPU(), gradTol: 1e-4 }], false);
