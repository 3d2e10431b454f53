// Which linear maps of a model take LoRA adapters, found from the family's own tables: every 2-D
// weight of a block whose module name matches a target as PEFT's check_target_module_exists
// matches it (the whole path, or its end after a dot), in block order (PEFT's named_modules
// order). GPT-2's Conv1D stores its weight [in, out] (PEFT: fan_in_fan_out); nn.Linear [out, in].
import type { ModelFamily } from '../model/family.ts';

/** One adapted linear map. */
export interface LoraModule {
  /** Logical name (the weight's less `.weight`): h.0.attn.c_attn, layers.0.self_attn.q_proj. */
  module: string;
  /** Its path in the Hugging Face model (what PEFT's keys name): transformer.h.0.attn.c_attn. */
  hfPath: string;
  layer: number;
  in: number;
  out: number;
  /** The base weight is [in, out] (Conv1D) rather than [out, in]. */
  fanInFanOut: boolean;
}

/**
 * PEFT's key of one adapter tensor in adapter_model.safetensors (get_peft_model_state_dict):
 * 'base_model.model.' + the module's Hugging Face path + '.lora_A.weight', the adapter name removed.
 */
export const peftKey = (m: Pick<LoraModule, 'hfPath'>, which: 'A' | 'B') => `base_model.model.${m.hfPath}.lora_${which}.weight`;

/** Families whose linear maps are Hugging Face Conv1D ([in, out] weights). */
const CONV1D = new Set(['gpt2']);

const matches = (path: string, target: string) => path === target || path.endsWith('.' + target);

/** The modules `targets` pick in a model; refuses a target that picks none, as PEFT does. */
export function loraModules<C>(family: ModelFamily<C>, config: C, targets: readonly string[]): LoraModule[] {
  const shapes = new Map(family.paramTable(config).map((s) => [s.name, s.shape]));
  const fanInFanOut = CONV1D.has(family.modelType);
  const hfPath = (module: string) => [...family.toHF(config, new Map([[module + '.weight', 0]])).keys()][0].replace(/\.weight$/, '');
  const out: LoraModule[] = [];
  const used = new Set<string>();
  const linears = new Set<string>();
  for (let l = 0; l < family.dims(config).layers; l++) {
    for (const name of family.pieceParams(config).block(l)) {
      const shape = shapes.get(name);
      if (!name.endsWith('.weight') || shape?.length !== 2) continue;
      const module = name.slice(0, -'.weight'.length);
      const path = hfPath(module);
      linears.add(path.split('.').pop()!);
      const hit = targets.filter((t) => matches(path, t));
      if (hit.length === 0) continue;
      hit.forEach((t) => used.add(t));
      const [rows, cols] = shape;
      out.push({ module, hfPath: path, layer: l, in: fanInFanOut ? rows : cols, out: fanInFanOut ? cols : rows, fanInFanOut });
    }
  }
  const missing = targets.filter((t) => !used.has(t));
  if (missing.length > 0) {
    throw new Error(`LoRA: target module(s) ${missing.join(', ').slice(0, 80)} not found in this ${family.modelType} model (its linear maps: ${[...linears].join(', ')})`);
  }
  return out;
}
