// GPT-2 LoRA fine-tuning against PyTorch (scripts/golden/lora_golden.py) on tfjs' WebGPU backend
// (Dawn on SwiftShader: its fused loss with a frozen head, LayerNorm, GELU and AdamW kernels):
// tests/helpers/lora-golden-suite.ts. Qwen2's run is lora-qwen2-webgpu.test.ts (a process each).
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { loraGoldenSuite } from '../helpers/lora-golden-suite.ts';

loraGoldenSuite([{ backend: 'webgpu', recompute: true, setup: () => setupNodeWebGPU(), gradTol: 1e-4, timeout: 400_000 }], false, ['gpt2']);
