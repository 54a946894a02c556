// Truncation and padding exactly as HF's PreTrainedTokenizerBase (truncate_sequences, _pad).
// Pure functions over id arrays; the Tokenizer base class decides when to call them.
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import type { PaddingStrategy, Side, TruncationStrategy } from './types.js';

export type NormalizedTruncation = 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
export type NormalizedPadding = 'longest' | 'max_length' | 'do_not_pad';

/** Maps `true`/`false`/HF names onto one strategy name. */
export function normalizeTruncation(t: TruncationStrategy | undefined): NormalizedTruncation {
  if (t === undefined || t === false || t === 'do_not_truncate') return 'do_not_truncate';
  if (t === true || t === 'longest_first') return 'longest_first';
  if (t === 'only_first' || t === 'only_second') return t;
  throw new BertchatError('INVALID_ARGUMENT', `truncation: unknown strategy ${JSON.stringify(t)}`);
}

/** Maps `true`/`false`/HF names onto one strategy name. */
export function normalizePadding(p: PaddingStrategy | undefined): NormalizedPadding {
  if (p === undefined || p === false || p === 'do_not_pad') return 'do_not_pad';
  if (p === true || p === 'longest') return 'longest';
  if (p === 'max_length') return p;
  throw new BertchatError('INVALID_ARGUMENT', `padding: unknown strategy ${JSON.stringify(p)}`);
}

/**
 * Removes `numToRemove` tokens from `ids` / `pairIds` like HF `truncate_sequences` (stride 0).
 * longest_first removes one token at a time from the longer sequence (from the pair on ties);
 * only_first / only_second leave both unchanged (and log an error) when the chosen one is too short.
 * @example truncateSequences([1,2,3], [4,5], 2, 'longest_first', 'right') // {ids:[1,2], pairIds:[4]}
 */
export function truncateSequences(
  ids: number[],
  pairIds: number[] | null,
  numToRemove: number,
  strategy: NormalizedTruncation,
  side: Side,
): { ids: number[]; pairIds: number[] | null } {
  if (numToRemove <= 0 || strategy === 'do_not_truncate') return { ids, pairIds };
  const cut = (a: number[], n: number): number[] => (side === 'left' ? a.slice(n) : a.slice(0, a.length - n));
  if (strategy === 'only_first' || (strategy === 'longest_first' && pairIds === null)) {
    if (ids.length > numToRemove) return { ids: cut(ids, numToRemove), pairIds };
    log.error(
      `truncation: the first sequence has length ${ids.length} but ${numToRemove} tokens must be removed; ` +
        `use truncation 'longest_first' or 'only_second' instead (not truncated)`,
    );
    return { ids, pairIds };
  }
  if (strategy === 'longest_first' && pairIds !== null) {
    let a = ids.length;
    let b = pairIds.length;
    for (let i = 0; i < numToRemove; i++) {
      if (a > b) a--;
      else b--;
    }
    if (b < 0) b = 0;
    return { ids: cut(ids, ids.length - a), pairIds: cut(pairIds, pairIds.length - b) };
  }
  // only_second
  if (pairIds !== null && pairIds.length > numToRemove) return { ids, pairIds: cut(pairIds, numToRemove) };
  log.error(
    `truncation: the second sequence has length ${pairIds?.length ?? 0} but ${numToRemove} tokens must be removed; ` +
      `use truncation 'longest_first' or 'only_first' instead (not truncated)`,
  );
  return { ids, pairIds };
}

/** Pads `row` in place-free fashion to `length` with `value` on `side`. */
export function padRow(row: number[], length: number, value: number, side: Side): number[] {
  const n = length - row.length;
  if (n <= 0) return row;
  const pad = new Array<number>(n).fill(value);
  return side === 'left' ? pad.concat(row) : row.concat(pad);
}

/** The padded length for a batch: longest row or maxLength, rounded up to a multiple. */
export function targetPadLength(
  lengths: number[],
  strategy: NormalizedPadding,
  maxLength: number | null,
  multipleOf?: number,
): number | null {
  if (strategy === 'do_not_pad') return null;
  let len: number;
  if (strategy === 'longest') len = lengths.reduce((m, x) => Math.max(m, x), 0);
  else {
    if (maxLength === null) {
      throw new BertchatError('INVALID_ARGUMENT', "padding 'max_length' needs maxLength (or a model_max_length in tokenizer_config.json)");
    }
    len = maxLength;
  }
  if (multipleOf !== undefined && multipleOf > 0 && len % multipleOf !== 0) len = (Math.floor(len / multipleOf) + 1) * multipleOf;
  return len;
}
