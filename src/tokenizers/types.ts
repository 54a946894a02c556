// Shared option and result types of every bertchat tokenizer (HF PreTrainedTokenizer semantics, camelCase).
// No behaviour here; see tokenizer.ts for the base class and truncation.ts for the algorithms.

/** `true` = 'longest_first'. HF names. */
export type TruncationStrategy = boolean | 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
/** `true` = 'longest'. HF names. */
export type PaddingStrategy = boolean | 'longest' | 'max_length' | 'do_not_pad';
export type Side = 'right' | 'left';

export interface EncodeOptions {
  /** Second sequence of a pair (BERT: `[CLS] A [SEP] B [SEP]`). */
  textPair?: string | null;
  /** Add [CLS]/[SEP], BOS, ... as the tokenizer's post-processor does. Default true. */
  addSpecialTokens?: boolean;
  /** Truncation strategy; defaults to 'longest_first' when `maxLength` is given (as HF). */
  truncation?: TruncationStrategy;
  /** Length limit for truncation; defaults to `modelMaxLength` when truncation is on. */
  maxLength?: number;
  /** Return token_type_ids even when the model does not use them (or suppress with false). */
  returnTokenTypeIds?: boolean;
}

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds?: number[];
  /** Token strings of `inputIds` (vocabulary form, e.g. `Ġworld`, `##ing`). */
  tokens?: string[];
  /** [start, end) UTF-16 offsets into the text; not provided by the slow-style tokenizers. */
  offsets?: Array<[number, number]>;
}

export interface BatchEncodeOptions {
  addSpecialTokens?: boolean;
  padding?: PaddingStrategy;
  truncation?: TruncationStrategy;
  maxLength?: number;
  /** Overrides `padding_side` from tokenizer_config.json. */
  paddingSide?: Side;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
  returnTokenTypeIds?: boolean;
}

/** Rectangular when padding is on; rows may differ in length otherwise. */
export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Defaults to the tokenizer's `clean_up_tokenization_spaces`. */
  cleanUpTokenizationSpaces?: boolean;
}

/** Names of the standard special tokens (HF attribute names). */
export const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;
export type SpecialTokenKey = (typeof SPECIAL_TOKEN_KEYS)[number];
export type SpecialTokens = Partial<Record<SpecialTokenKey, string>>;

/** A chat message; `content` may be a string or multimodal-style text parts. */
export interface ChatMessage {
  role: string;
  content: string | Array<{ type: string; text?: string }> | null;
  [key: string]: unknown;
}
