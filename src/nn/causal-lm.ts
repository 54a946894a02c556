// The CausalLM interface: what generation needs from a decoder (GPT-2, Llama, ...) and nothing more.
// Generation code depends only on this file, never on a model family.
import type { Tensor } from '../tensor/tensor.js';
import type { KVCache } from './kv-cache.js';

/** Called with a name such as `h.3.attn` and the activation at that step. */
export type TraceHook = (name: string, t: Tensor) => void;

export interface CausalLMForwardOptions {
  /** Cached keys/values of earlier positions; the forward appends the new ones. */
  cache?: KVCache | null;
  /** int32 (B, T) positions of the new tokens; default past..past+T-1. */
  positionIds?: Tensor | null;
  /** (B, past + T), 1 = attend, 0 = padding (keys only, as HF). */
  attentionMask?: Tensor | null;
  /** Only the last position's logits, (B, 1, V): skips the LM head for the rest (generation). */
  lastOnly?: boolean;
  trace?: TraceHook;
}

/** A decoder-only language model that generation can drive. */
export interface CausalLM {
  readonly vocabSize: number;
  /** Longest sequence (prompt + generated) the model supports. */
  readonly maxContext: number;
  /** Token ids that end a sequence (the config's eos_token_id, possibly a list). */
  readonly eosTokenIds: readonly number[];
  /** A preallocated cache for `batch` rows and at most `maxLength` positions (default maxContext). */
  newCache(batch: number, maxLength?: number): KVCache;
  /** int32 ids (B, T) → logits (B, T, V), or (B, 1, V) with lastOnly. */
  forward(inputIds: Tensor, opts?: CausalLMForwardOptions): Tensor;
}

/** Normalises a config's eos_token_id (number, list or null) into a list. */
export function eosList(eos: number | readonly number[] | null | undefined): number[] {
  if (eos === null || eos === undefined) return [];
  return typeof eos === 'number' ? [eos] : [...eos];
}
