// What every pipeline shares: the loaded model + tokenizer, running batches under noGrad with the trace hook,
// and reading options in both spellings. A pipeline file only does its task's pre- and post-processing.
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import type { ModelConfig } from '../io/config.js';
import type { RegisteredModel } from '../models/registry.js';
import type { EncoderInputs } from '../models/auto.js';
import { BertchatError } from '../util/errors.js';
import { batchSizeOf, encodeTexts, makeBatches, maxPositions, type CommonOptions, type EncodedText, type TextInput } from './inputs.js';

/** An encoder as pipelines use it: forward gives logits and/or token vectors. */
export interface PipelineModel extends RegisteredModel {
  forward(inp: EncoderInputs): { logits?: Tensor; lastHiddenState: Tensor };
}

/** What a pipeline holds. */
export interface PipelineParts {
  model: PipelineModel;
  tokenizer: Tokenizer;
}

/** The rows of one input after the forward pass: its encoding and its slice of each output. */
export interface RowOutput {
  index: number;
  enc: EncodedText;
  /** (T_i, V|L) per-token logits, or (L) sequence logits; null when the model has no head. */
  logits: Float32Array | null;
  /** (T_i, C) token vectors, row-major. */
  hidden: Float32Array;
}

/** Normalises `x` or `[x, ...]` into a list, remembering whether the caller passed a single input. */
export function asList(inputs: TextInput | readonly TextInput[], task: string): { list: TextInput[]; single: boolean } {
  if (Array.isArray(inputs)) {
    if (inputs.length === 0) throw new BertchatError('INVALID_ARGUMENT', `${task}: the input list is empty`);
    return { list: [...inputs], single: false };
  }
  return { list: [inputs as TextInput], single: true };
}

/**
 * Encodes, batches with dynamic padding, runs the model without gradients, and hands each input's
 * unpadded outputs back in input order. `perToken` tells whether logits are (B, T, X) or (B, X).
 */
export function runEncoder(parts: PipelineParts, inputs: readonly TextInput[], opts: CommonOptions, perToken: boolean, encoded?: EncodedText[]): RowOutput[] {
  const { model, tokenizer } = parts;
  const enc = encoded ?? encodeTexts(tokenizer, inputs, maxPositions(model.config as ModelConfig & { max_position_embeddings?: number }), {
    truncation: opts.truncation,
    maxLength: opts.maxLength ?? opts.max_length,
  });
  const out = new Array<RowOutput>(enc.length);
  for (const batch of makeBatches(enc, batchSizeOf(opts), tokenizer.padTokenId ?? 0)) {
    const res = noGrad(() => model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds, trace: opts.trace }));
    const T = batch.inputIds.shape[1]!;
    const hid = res.lastHiddenState.values() as Float32Array; // (B, T, C)
    const C = res.lastHiddenState.shape[2]!;
    const lg = res.logits ? (res.logits.values() as Float32Array) : null;
    const X = res.logits ? res.logits.shape[res.logits.ndim - 1]! : 0;
    batch.indices.forEach((idx, b) => {
      const len = enc[idx]!.ids.length;
      const logits = lg === null ? null : perToken ? lg.slice(b * T * X, (b * T + len) * X) : lg.slice(b * X, (b + 1) * X);
      out[idx] = { index: idx, enc: enc[idx]!, logits, hidden: hid.slice(b * T * C, (b * T + len) * C) };
    });
  }
  return out;
}

/** id2label of a config, as a lookup that names a missing label `LABEL_i` (HF's default). */
export function labelOf(config: ModelConfig, i: number): string {
  return config.id2label[i] ?? `LABEL_${i}`;
}
