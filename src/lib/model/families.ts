// The model families this app runs, chosen by config.json's model_type. A config without one
// (old GPT-2 checkpoints) is GPT-2's, whose parser then decides.
import type { ModelFamily } from './family.ts';
import { gpt2Family } from './gpt2/index.ts';
import { llamaFamily, qwen2Family } from './llama/index.ts';

export const FAMILIES: Readonly<Record<string, ModelFamily>> = {
  gpt2: gpt2Family as unknown as ModelFamily,
  llama: llamaFamily as unknown as ModelFamily,
  qwen2: qwen2Family as unknown as ModelFamily,
};

/** The family of a parsed config.json; one line naming the model_type when there is none. */
export function familyOf(json: unknown): ModelFamily {
  const type = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).model_type : undefined;
  if (type === undefined) return FAMILIES.gpt2;
  const family = typeof type === 'string' && Object.hasOwn(FAMILIES, type) ? FAMILIES[type] : undefined;
  if (!family) {
    throw new Error(`config.json: model_type ${JSON.stringify(type)?.slice(0, 40)} is not supported (this app runs ${Object.keys(FAMILIES).join(', ')})`);
  }
  return family;
}
