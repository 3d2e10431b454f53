// The adapter in PEFT's layout, so that PeftModel.from_pretrained(base, folder) loads it:
// adapter_config.json (LoraConfig.to_dict's fields) and adapter_model.safetensors, whose keys are
// get_peft_model_state_dict's: 'base_model.model.' + the module's path in the Hugging Face model
// + '.lora_A.weight' / '.lora_B.weight' (the adapter name 'default' removed), A [r, in] and
// B [out, r] whatever the base layout (fan_in_fan_out only says how the base weight is stored).
import { readSafetensors, writeSafetensors } from '../model/safetensors.ts';
import type { WeightTensor } from '../model/parameters.ts';
import { checkLoraConfig, type LoraConfig } from './config.ts';
import type { LoraAdapters } from './adapters.ts';
import { peftKey } from './modules.ts';

export { peftKey } from './modules.ts';

/**
 * adapter_config.json: the fields PEFT's LoraConfig has had since its first releases (a newer
 * PEFT fills the rest with its defaults; an older one refuses fields it does not know).
 */
export function peftAdapterConfig(adapters: LoraAdapters, baseModel: string): Record<string, unknown> {
  const c = adapters.config;
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    revision: null,
    inference_mode: true,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: [...c.targets],
    fan_in_fan_out: adapters.pairs.some((p) => p.fanInFanOut),
    bias: 'none',
    modules_to_save: null,
    init_lora_weights: true,
    layers_to_transform: null,
    layers_pattern: null,
  };
}

/** The adapter tensors under PEFT's keys, sorted by name as safetensors' serializer writes them. */
export async function peftTensors(adapters: LoraAdapters): Promise<Map<string, WeightTensor>> {
  const values = await adapters.read(); // read-back
  const entries = adapters.pairs.flatMap((p) => [[peftKey(p, 'A'), values.get(p.a)!], [peftKey(p, 'B'), values.get(p.b)!]] as const);
  return new Map([...entries].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** The two files of a PEFT adapter folder. */
export async function peftAdapterFiles(adapters: LoraAdapters, baseModel: string): Promise<{ 'adapter_config.json': string; 'adapter_model.safetensors': Uint8Array }> {
  return {
    'adapter_config.json': JSON.stringify(peftAdapterConfig(adapters, baseModel), null, 2) + '\n',
    'adapter_model.safetensors': writeSafetensors(await peftTensors(adapters), { format: 'pt' }),
  };
}

/** A PEFT LoRA adapter read back (untrusted files): its settings, and its tensors by PEFT key (LoraInit.peft). */
export function readPeftAdapter(configJson: string, safetensors: Uint8Array): { config: LoraConfig; tensors: Map<string, WeightTensor> } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(configJson) as Record<string, unknown>;
  } catch {
    throw new Error('adapter_config.json is not JSON');
  }
  if (o === null || typeof o !== 'object' || o.peft_type !== 'LORA') throw new Error('adapter_config.json: not a LoRA adapter (peft_type is not "LORA")');
  if (o.use_rslora === true || o.use_dora === true) throw new Error('adapter_config.json: rsLoRA and DoRA adapters are not supported');
  const targets = typeof o.target_modules === 'string' ? [o.target_modules] : (o.target_modules as string[]);
  const config = checkLoraConfig({ r: o.r as number, alpha: o.lora_alpha as number, dropout: (o.lora_dropout as number) ?? 0, targets });
  return { config, tensors: readSafetensors(safetensors) };
}
