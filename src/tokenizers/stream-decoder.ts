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

/**
 * Creates a stream decoder. After each push the ids so far are decoded; text is final when it does not end
 * in U+FFFD (a partial UTF-8 sequence) and, when decode cleans up spaces (`do n ' t` → `don't`), when the
 * decodes without the last one and two tokens agree on it. WordPiece `##` pieces join without a space.
 * Cost is O(n) per push (it re-decodes), fine for chat-length outputs.
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
  let emitted = '';
  const decodeFirst = (n: number): string => tokenizer.decode(ids.slice(0, Math.max(0, n)), dopts);

  return {
    get ids() {
      return ids;
    },
    push(id: number | number[]): string {
      for (const x of Array.isArray(id) ? id : [id]) ids.push(x);
      let stable = decodeFirst(ids.length);
      for (let k = 1; k <= holdback; k++) {
        const prev = decodeFirst(ids.length - k);
        stable = stable.slice(0, commonPrefixLength(stable, prev));
      }
      stable = wholeChars(stable.replace(/\uFFFD+$/u, ''));
      if (stable.length <= emitted.length || !stable.startsWith(emitted)) return '';
      const out = stable.slice(emitted.length);
      emitted = stable;
      return out;
    },
    flush(): string {
      const full = decodeFirst(ids.length);
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
