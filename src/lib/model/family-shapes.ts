// What sizing a model needs of its family (config.json parsed, its dimensions, its parameter
// table), without tfjs: the page's model picker estimates every preset's memory from these
// before any model, or tfjs itself, is loaded. families.ts holds the full families.
import type { ModelFamily } from './family.ts';
import { gpt2Dims, parseConfig } from './gpt2/config.ts';
import { paramTable as gpt2Params } from './gpt2/params.ts';
import { llamaDims, parseLlamaConfig } from './llama/config.ts';
import { paramTable as llamaParams } from './llama/params.ts';

/** The part of a ModelFamily that sizes a model; every ModelFamily is one. */
export type FamilyShape<C = unknown> = Pick<ModelFamily<C>, 'modelType' | 'parseConfig' | 'dims' | 'paramTable'>;

export const FAMILY_SHAPES: Readonly<Record<string, FamilyShape>> = {
  gpt2: { modelType: 'gpt2', parseConfig, dims: gpt2Dims, paramTable: gpt2Params } as FamilyShape,
  llama: { modelType: 'llama', parseConfig: (j: unknown) => parseLlamaConfig(j, 'llama'), dims: llamaDims, paramTable: llamaParams } as FamilyShape,
  qwen2: { modelType: 'qwen2', parseConfig: (j: unknown) => parseLlamaConfig(j, 'qwen2'), dims: llamaDims, paramTable: llamaParams } as FamilyShape,
};

/** The family shape of a config.json by its model_type (none: GPT-2's, as families.ts decides). */
export function familyShapeOf(json: unknown): FamilyShape {
  const type = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).model_type : undefined;
  const key = type === undefined ? 'gpt2' : typeof type === 'string' && Object.hasOwn(FAMILY_SHAPES, type) ? type : null;
  if (key === null) throw new Error(`config.json: model_type ${JSON.stringify(type)?.slice(0, 40)} is not supported (this app runs ${Object.keys(FAMILY_SHAPES).join(', ')})`);
  return FAMILY_SHAPES[key];
}
