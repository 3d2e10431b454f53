// Qwen2 LoRA fine-tuning against PyTorch (scripts/golden/lora_golden.py) on tfjs' WebGPU backend
// (Dawn on SwiftShader): tests/helpers/lora-golden-suite.ts. GPT-2's run is lora-webgpu.test.ts.
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { loraGoldenSuite } from '../helpers/lora-golden-suite.ts';

loraGoldenSuite([{ backend: 'webgpu', recompute: true, setup: () => setupNodeWebGPU(), gradTol: 1e-4, timeout: 400_000 }], false, ['qwen2']);
