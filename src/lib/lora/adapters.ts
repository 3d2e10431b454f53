// LoRA adapters beside a model's frozen weights (Hu et al. 2021, as PEFT's lora.Linear): for each
// targeted linear map y = base(x), lora_A [r, in] and lora_B [out, r] add
//   y += scaling * (dropout(x) A^T) B^T,   scaling = alpha / r,
// whatever layout the base weight has (GPT-2's Conv1D [in, out] or nn.Linear's [out, in]).
// Initialised as PEFT does (reset_lora_parameters): A by kaiming_uniform_(a = sqrt 5), that is
// U(-1/sqrt(in), 1/sqrt(in)), and B zero, so the model starts exactly where the base model is.
// Attached to a CausalLM (AdapterSet), they are what the forward pass adds through
// Weights.adapter, what training differentiates and checkpoints, and what export merges.
import * as tf from '@tensorflow/tfjs';
import type { AdapterSet, CausalLM } from '../model/causal-lm.ts';
import type { LinearAdapter, Weights } from '../model/family.ts';
import type { Parameter, WeightTensor } from '../model/parameters.ts';
import { mixSeed, mulberry32 } from '../rng.ts';
import { ADAPTER_STREAM } from '../model/dropout.ts';
import { checkLoraConfig, loraRecord, loraScaling, type LoraConfig } from './config.ts';
import { loraModules, peftKey, type LoraModule } from './modules.ts';

/** An adapted module and the names of its two parameters. */
export interface LoraPair extends LoraModule {
  a: string; // <module>.lora_A.weight, [r, in]
  b: string; // <module>.lora_B.weight, [out, r]
}

export interface LoraInit {
  /** Seeds lora_A's draws (each module its own stream, so adding targets leaves others' draws alone). */
  seed?: number;
  /** Given values by parameter name (h.0.attn.c_attn.lora_A.weight), instead of PEFT's init. */
  values?: ReadonlyMap<string, WeightTensor>;
  /** Given values by PEFT's key (adapter_model.safetensors read back), instead of PEFT's init. */
  peft?: ReadonlyMap<string, WeightTensor>;
}

let instances = 0;

export class LoraAdapters implements AdapterSet {
  readonly parameters: readonly Parameter[];
  readonly pairs: readonly LoraPair[];
  readonly scaling: number;
  private readonly byModule: Map<string, LoraPair>;
  private readonly byLayer: Map<number, string[]>;
  private readonly byName: Map<string, Parameter>;

  private constructor(readonly config: LoraConfig, pairs: LoraPair[], parameters: Parameter[]) {
    this.pairs = pairs;
    this.parameters = parameters;
    this.scaling = loraScaling(config);
    this.byModule = new Map(pairs.map((p) => [p.module, p]));
    this.byName = new Map(parameters.map((p) => [p.name, p]));
    this.byLayer = new Map();
    for (const p of pairs) this.byLayer.set(p.layer, [...(this.byLayer.get(p.layer) ?? []), p.a, p.b]);
  }

  /** Adapters for `model`'s targeted linear maps, on the device (not attached: see attachLora). */
  static create(model: CausalLM, config: LoraConfig, init: LoraInit = {}): LoraAdapters {
    checkLoraConfig(config);
    const { r } = config;
    const pairs = loraModules(model.family, model.config, config.targets).map((m) => ({ ...m, a: `${m.module}.lora_A.weight`, b: `${m.module}.lora_B.weight` }));
    const scope = `lora_${++instances}`;
    const parameters: Parameter[] = [];
    try {
      pairs.forEach((p, i) => {
        const specs = [
          { name: p.a, key: peftKey(p, 'A'), shape: [r, p.in], fill: () => kaimingUniform(r * p.in, p.in, mixSeed(init.seed ?? 0, i)) },
          { name: p.b, key: peftKey(p, 'B'), shape: [p.out, r], fill: () => new Float32Array(p.out * r) },
        ];
        for (const s of specs) {
          const bytes = s.shape[0] * s.shape[1] * 4;
          if (bytes > model.maxBufferBytes) throw new Error(`LoRA: "${s.name}" (${bytes} bytes) exceeds this device's ${model.maxBufferBytes}-byte buffer limit`);
          const data = given(init.values, s.name, s.shape) ?? given(init.peft, s.key, s.shape) ?? s.fill();
          const t = tf.tensor2d(data, s.shape as [number, number], 'float32');
          // PEFT's trainer decays every LoRA weight (2-D, neither bias nor norm).
          parameters.push({ name: s.name, shape: s.shape, decay: true, slices: [tf.variable(t, true, `${scope}/${s.name}`)] });
          t.dispose();
        }
      });
    } catch (e) {
      for (const p of parameters) p.slices[0].dispose();
      throw e;
    }
    return new LoraAdapters(config, pairs, parameters);
  }

  get record(): Record<string, unknown> {
    return loraRecord(this.config);
  }

  blockParams(l: number): string[] {
    return this.byLayer.get(l) ?? [];
  }

  view(base: Weights, tensors: ReadonlyMap<string, tf.Tensor>): Weights {
    const adapter = (module: string): LinearAdapter | undefined => {
      const p = this.byModule.get(module);
      if (!p) return undefined;
      const a = tensors.get(p.a) as tf.Tensor2D | undefined;
      const b = tensors.get(p.b) as tf.Tensor2D | undefined;
      if (!a || !b) throw new Error(`LoRA: the adapter of ${module} is not in this view`);
      // Its own stream of dropout sites, so the base network's masks stay those of full fine-tuning.
      // scaling on the [N, r] product, the smallest of the path's tensors.
      return (x, dropout) => tf.tidy(() => tf.matMul(tf.mul(tf.matMul(dropout(x, this.config.dropout, ADAPTER_STREAM), a, false, true), this.scaling), b, false, true) as tf.Tensor2D);
    };
    return { get: <R extends tf.Rank>(name: string) => base.get<R>(name), rows: (name) => base.rows(name), adapter };
  }

  merged(name: string, weight: tf.Tensor): tf.Tensor | null {
    const p = name.endsWith('.weight') ? this.byModule.get(name.slice(0, -'.weight'.length)) : undefined;
    if (!p) return null;
    const [a, b] = [this.parameter(p.a), this.parameter(p.b)];
    return tf.tidy(() => {
      const delta = tf.mul(tf.matMul(b, a), this.scaling); // [out, in]: lora.Linear.get_delta_weight
      return tf.add(weight, p.fanInFanOut ? tf.transpose(delta) : delta);
    });
  }

  /** One adapter parameter's variable. */
  parameter(name: string): tf.Variable {
    const p = this.byName.get(name);
    if (!p) throw new Error(`LoRA: no adapter parameter "${name}"`);
    return p.slices[0];
  }

  /** Every adapter tensor by parameter name, read back from the device. */
  async read(): Promise<Map<string, WeightTensor>> {
    const out = new Map<string, WeightTensor>();
    for (const p of this.parameters) out.set(p.name, { shape: p.shape.slice(), data: (await p.slices[0].data()) as Float32Array });
    return out;
  }

  dispose(): void {
    for (const p of this.parameters) p.slices[0].dispose();
  }
}

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): kaiming_uniform_ with a = sqrt 5 (gain sqrt(1/3), bound gain sqrt(3 / fanIn)). */
function kaimingUniform(n: number, fanIn: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * bound;
  return out;
}

function given(values: ReadonlyMap<string, WeightTensor> | undefined, name: string, shape: number[]): Float32Array | undefined {
  const v = values?.get(name);
  if (!values) return undefined;
  if (!v) throw new Error(`LoRA: no values for "${name}"`);
  if (v.shape.length !== 2 || v.shape[0] !== shape[0] || v.shape[1] !== shape[1] || v.data.length !== shape[0] * shape[1]) {
    throw new Error(`LoRA: "${name}" is [${v.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return v.data;
}

/** Creates adapters for `model` and attaches them: from now on it trains as LoRA. */
export function attachLora(model: CausalLM, config: LoraConfig, init: LoraInit = {}): LoraAdapters {
  if (model.adapters) throw new Error('LoRA: the model already has adapters');
  const adapters = LoraAdapters.create(model, config, init);
  model.setAdapters(adapters);
  return adapters;
}

/** Detaches and frees the model's adapters: it is the base model again. */
export function detachLora(model: CausalLM): void {
  const a = model.adapters;
  model.setAdapters(null);
  if (a instanceof LoraAdapters) a.dispose();
}
