// BertConfig: Hugging Face's config.json fields for model_type "bert" (typed, with HF defaults).
// Parsing and validation live in src/io/config.ts; this file is the family's view of it.
export interface BertConfig {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number | null;
  classifier_dropout?: number | null;
  problem_type?: string | null;
  id2label?: Record<number, string>;
  label2id?: Record<string, number>;
  num_labels?: number;
  architectures?: string[] | null;
}
