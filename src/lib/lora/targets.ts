// Which weight matrices take LoRA adapters unless the person says otherwise: PEFT's defaults
// (peft/utils/constants.py, TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING), so that an
// adapter trained here has the shape `LoraConfig(task_type="CAUSAL_LM")` gives the same base
// model. Names are module names as PEFT matches them: the last part of a module's path, so
// GPT-2's `c_attn` is every block's attn.c_attn, and `q_proj` every self_attn.q_proj.

/** Default target modules by config.json's model_type. */
export const PEFT_DEFAULT_TARGETS: Readonly<Record<string, readonly string[]>> = {
  gpt2: ['c_attn'],
  llama: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
};

/** PEFT's default targets for a model type; one line naming it when there are none. */
export function defaultTargets(modelType: string): readonly string[] {
  const t = Object.hasOwn(PEFT_DEFAULT_TARGETS, modelType) ? PEFT_DEFAULT_TARGETS[modelType] : undefined;
  if (!t) throw new Error(`LoRA: no default target modules for model_type "${modelType.slice(0, 40)}" (known: ${Object.keys(PEFT_DEFAULT_TARGETS).join(', ')})`);
  return t;
}
