// The base models the page offers by name, with their config.json as published on the Hub, so
// that the picker can show download size and training memory (memory-estimate.ts) before
// anything downloads, and the benches can build random models of the same shapes. Only the
// fields the families read are kept; the Hub's files decide once a model is loaded.

export interface ModelPreset {
  /** The Hub id: the download folder, and the card's base_model. */
  id: string;
  label: string;
  /** What the picker says about it. */
  note: string;
  /** Knows languages beyond English (the suggestion for a mostly non-English archive). */
  multilingual: boolean;
  /** Bytes a parameter in the Hub's model.safetensors (F32 4, BF16 2). */
  fileBytesPerParam: number;
  config: Readonly<Record<string, unknown>>;
}

const GPT2_BASE = {
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 1024,
  n_ctx: 1024,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  bos_token_id: 50256,
  eos_token_id: 50256,
} as const;

const SMOLLM2_BASE = {
  model_type: 'llama',
  vocab_size: 49152,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  tie_word_embeddings: true,
  bos_token_id: 0,
  eos_token_id: 0,
  torch_dtype: 'bfloat16',
} as const;

export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    id: 'distilbert/distilgpt2',
    label: 'distilgpt2',
    note: 'the default: small and fast, English',
    multilingual: false,
    fileBytesPerParam: 4,
    config: { ...GPT2_BASE, n_layer: 6, n_embd: 768, n_head: 12 },
  },
  {
    id: 'openai-community/gpt2',
    label: 'gpt2',
    note: 'twice as deep, English',
    multilingual: false,
    fileBytesPerParam: 4,
    config: { ...GPT2_BASE, n_layer: 12, n_embd: 768, n_head: 12 },
  },
  {
    id: 'HuggingFaceTB/SmolLM2-135M',
    label: 'SmolLM2-135M',
    note: 'Llama architecture, English',
    multilingual: false,
    fileBytesPerParam: 2,
    config: { ...SMOLLM2_BASE, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3 },
  },
  {
    id: 'HuggingFaceTB/SmolLM2-360M',
    label: 'SmolLM2-360M',
    note: 'Llama architecture, English',
    multilingual: false,
    fileBytesPerParam: 2,
    config: { ...SMOLLM2_BASE, hidden_size: 960, intermediate_size: 2560, num_hidden_layers: 32, num_attention_heads: 15, num_key_value_heads: 5 },
  },
  {
    id: 'Qwen/Qwen2.5-0.5B',
    label: 'Qwen2.5-0.5B',
    note: 'multilingual (Japanese, Chinese, Korean and 26 more)',
    multilingual: true,
    fileBytesPerParam: 2,
    config: {
      model_type: 'qwen2',
      vocab_size: 151936,
      hidden_size: 896,
      intermediate_size: 4864,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      max_position_embeddings: 32768,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      tie_word_embeddings: true,
      bos_token_id: 151643,
      eos_token_id: 151643,
      torch_dtype: 'bfloat16',
    },
  },
];

/** The preset named by its Hub id or its label (case-insensitive), if any. */
export function findPreset(name: string): ModelPreset | undefined {
  const n = name.toLowerCase();
  return MODEL_PRESETS.find((p) => p.id.toLowerCase() === n || p.label.toLowerCase() === n);
}

/** The folder URL the page downloads a Hub model from. */
export function hubFolderUrl(id: string): string {
  return `https://huggingface.co/${id}/resolve/main/`;
}
