// 'fill-mask', as HF FillMaskPipeline: for each [MASK] the top-k tokens with their probability, the token
// string and the filled-in sequence. One mask → a list of candidates; several masks → one list per mask.
import { BertchatError } from '../util/errors.js';
import { asList, runEncoder, type PipelineParts } from './base.js';
import { encodeTexts, maxPositions, softmaxRow, type CommonOptions, type TextInput } from './inputs.js';

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

export interface FillMaskOptions extends CommonOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  top_k?: number;
  /** Score only these tokens (HF `targets`): a word not in the vocabulary is replaced by its first sub-token. */
  targets?: string | readonly string[];
}

/** Result of one input: candidates (one mask) or candidates per mask (several). */
export type FillMaskResult = FillMaskCandidate[] | FillMaskCandidate[][];

/** Of `ids` (default: all), the k with the largest p, largest first (ties: lower id first, like torch.topk on CPU in practice). */
function topk(p: number[], k: number, ids: readonly number[] = p.map((_, i) => i)): number[] {
  const idx = [...ids];
  idx.sort((a, b) => p[b]! - p[a]! || a - b);
  return idx.slice(0, Math.min(k, idx.length));
}

/**
 * HF FillMaskPipeline.get_target_ids: a target that is a vocabulary token is used as is; otherwise its first
 * sub-token (HF logs a warning); targets that tokenize to nothing are dropped; duplicates removed, order kept.
 */
function targetIds(tokenizer: PipelineParts['tokenizer'], targets: string | readonly string[]): number[] {
  const list = typeof targets === 'string' ? [targets] : targets;
  const ids: number[] = [];
  for (const t of list) {
    if (typeof t !== 'string') throw new BertchatError('INVALID_ARGUMENT', `fill-mask: targets must be strings, got ${JSON.stringify(t)}`);
    const id = tokenizer.tokenToId(t) ?? tokenizer.convertTokensToIds(tokenizer.tokenize(t))[0];
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  if (ids.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'fill-mask: at least one target must be provided when targets are passed');
  return ids;
}

/**
 * Fills [MASK] tokens. Output shapes as HF: `'a [MASK] b'` → `[{score, token, token_str, sequence}, ...]`;
 * two masks → `[[...], [...]]`; a list of inputs → one result per input (a one-element list gives the bare
 * result, as HF does). An input without the mask token is an INVALID_ARGUMENT error.
 *
 * @example await fillMask(parts, 'the movie was [MASK] .', { topK: 3 })
 */
export async function fillMask(parts: PipelineParts, inputs: TextInput | readonly TextInput[], opts: FillMaskOptions = {}): Promise<FillMaskResult | FillMaskResult[]> {
  const { list, single } = asList(inputs, 'fill-mask');
  const { model, tokenizer } = parts;
  const k = opts.topK ?? opts.top_k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new BertchatError('INVALID_ARGUMENT', `fill-mask: top_k must be a positive integer, got ${k}`);
  const only = opts.targets === undefined ? undefined : targetIds(tokenizer, opts.targets);
  const maskId = tokenizer.maskTokenId;
  if (maskId === null) throw new BertchatError('TOKENIZER', 'fill-mask: the tokenizer has no mask_token');
  const enc = encodeTexts(tokenizer, list, maxPositions(model.config as { max_position_embeddings?: number }), { truncation: opts.truncation, maxLength: opts.maxLength ?? opts.max_length });
  enc.forEach((e, i) => {
    if (!e.ids.includes(maskId)) {
      throw new BertchatError('INVALID_ARGUMENT', `fill-mask: input ${i} has no mask token (${tokenizer.maskToken}): ${JSON.stringify(list[i])}`);
    }
  });
  const rows = runEncoder(parts, list, opts, true, enc);
  const padId = tokenizer.padTokenId;
  const results = rows.map((r): FillMaskResult => {
    if (!r.logits) throw new BertchatError('INVALID_ARGUMENT', `fill-mask: ${model.constructor.name} has no language-model head`);
    const V = r.logits.length / r.enc.ids.length;
    const positions = r.enc.ids.flatMap((id, t) => (id === maskId ? [t] : []));
    const singleMask = positions.length === 1;
    const perMask = positions.map((t) => {
      const probs = softmaxRow(r.logits!.subarray(t * V, (t + 1) * V));
      return topk(probs, k, only).map((p) => {
        const ids = r.enc.ids.slice();
        ids[t] = p;
        const kept = ids.filter((id) => id !== padId);
        return {
          score: probs[p]!,
          token: p,
          token_str: tokenizer.decode([p]),
          // HF skips special tokens for one mask; with several it keeps them so the other [MASK]s stay visible
          sequence: tokenizer.decode(kept, { skipSpecialTokens: singleMask }),
        };
      });
    });
    return singleMask ? perMask[0]! : perMask;
  });
  return single || results.length === 1 ? results[0]! : results;
}
