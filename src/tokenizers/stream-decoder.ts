// Incremental decoding for generation: push ids one at a time, get only complete new text (never half a
// UTF-8 character), and the concatenation of all pieces plus flush() equals decode(all ids).
import { log } from '../util/logging.js';
import type { Tokenizer } from './tokenizer.js';

export interface StreamDecoderOptions {
  skipSpecialTokens?: boolean;
  /** Passed to decode; default the tokenizer's own setting. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface StreamDecoder {
  /** Adds one id (or several) and returns the text that became final, possibly ''. */
  push(id: number | number[]): string;
  /** Returns whatever is still held back (an incomplete character decodes to U+FFFD here). */
  flush(): string;
  /** All ids pushed so far. */
  readonly ids: readonly number[];
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Drops a trailing lone high surrogate so a pair is never split between two pieces. */
function wholeChars(s: string): string {
  const c = s.charCodeAt(s.length - 1);
  return c >= 0xd800 && c <= 0xdbff ? s.slice(0, -1) : s;
}

/** Uncommitted tokens that trigger a commit, the tokens kept after it, and the context tokens decoded before them. */
const WINDOW = 64;
const KEEP = 32;
const CONTEXT = 8;

/**
 * Creates a stream decoder. After each push the ids so far are decoded; text is final when it does not end
 * in U+FFFD (a partial UTF-8 sequence) and, when decode cleans up spaces (`do n ' t` → `don't`), when the
 * decodes without the last one and two tokens agree on it. WordPiece `##` pieces join without a space.
 *
 * Cost per push is bounded, not O(n): only a window is re-decoded. Once WINDOW tokens are pending, all but the
 * last KEEP are committed (their text was emitted), and later decodes start CONTEXT tokens before the window,
 * whose text is cut off again (as text-generation-inference's prefix/read offsets): the context gives `##`
 * pieces, leading spaces and clean-up rules what they look at. flush() checks the whole text against decode().
 * @example
 * const sd = createStreamDecoder(tok, { skipSpecialTokens: true });
 * let out = ''; for (const id of ids) out += sd.push(id); out += sd.flush(); // out === tok.decode(ids, { skipSpecialTokens: true })
 */
export function createStreamDecoder(tokenizer: Tokenizer, opts: StreamDecoderOptions = {}): StreamDecoder {
  const ids: number[] = [];
  const cleanUp = opts.cleanUpTokenizationSpaces ?? tokenizer.cleanUpTokenizationSpaces;
  const dopts = { skipSpecialTokens: opts.skipSpecialTokens ?? false, cleanUpTokenizationSpaces: cleanUp };
  // Clean-up rules look up to two tokens ahead (" n" + " '" + " t" → "n't").
  const holdback = cleanUp ? 2 : 0;
  let emitted = ''; // all text returned so far
  // The window: ids[start:] are uncommitted, `pending` is the part of `emitted` that belongs to them, and their
  // text is decode(ids[ctx:n]) minus its first `ctxText` characters (the context's own text).
  let start = 0;
  let ctx = 0;
  let ctxText = '';
  let pending = '';
  const windowText = (n: number): string | null => {
    const t = tokenizer.decode(ids.slice(ctx, Math.max(ctx, n)), dopts);
    return t.startsWith(ctxText) ? t.slice(ctxText.length) : null;
  };
  /** Moves the window start to `to` when the text before it is emitted and the new context decodes consistently. */
  const commit = (to: number): void => {
    const done = windowText(to);
    if (done === null || /\uFFFD$/u.test(done) || !pending.startsWith(done)) return;
    const nctx = Math.max(0, to - CONTEXT);
    const nctxText = tokenizer.decode(ids.slice(nctx, to), dopts);
    const after = tokenizer.decode(ids.slice(nctx), dopts);
    if (/\uFFFD$/u.test(nctxText) || !after.startsWith(nctxText) || !after.slice(nctxText.length).startsWith(pending.slice(done.length))) return;
    start = to;
    ctx = nctx;
    ctxText = nctxText;
    pending = pending.slice(done.length);
  };

  return {
    get ids() {
      return ids;
    },
    push(id: number | number[]): string {
      for (const x of Array.isArray(id) ? id : [id]) ids.push(x);
      if (ids.length - start > WINDOW) commit(ids.length - KEEP);
      let stable = windowText(ids.length);
      if (stable === null) return '';
      for (let k = 1; k <= holdback; k++) {
        const prev = windowText(Math.max(start, ids.length - k)) ?? '';
        stable = stable.slice(0, commonPrefixLength(stable, prev));
      }
      stable = wholeChars(stable.replace(/\uFFFD+$/u, ''));
      if (stable.length <= pending.length || !stable.startsWith(pending)) return '';
      const out = stable.slice(pending.length);
      pending = stable;
      emitted += out;
      return out;
    },
    flush(): string {
      const full = tokenizer.decode(ids, dopts);
      if (!full.startsWith(emitted)) {
        log.warn('stream decoder: decoded text changed after it was emitted; the streamed text differs from decode()');
        const out = full.slice(commonPrefixLength(full, emitted));
        emitted = full;
        return out;
      }
      const out = full.slice(emitted.length);
      emitted = full;
      return out;
    },
  };
}
