// The text side of generation, as interfaces: anything that decodes ids (a tokenizer) and anything that streams
// ids into text (the tokenizers' createStreamDecoder). Generation never imports a tokenizer implementation.

/** Decodes ids to text (a Tokenizer fits). */
export interface TokenDecoder {
  decode(ids: number[]): string;
}

/** Incremental decoding: push ids, get only text that is final (whole characters); flush at the end. */
export interface StreamDecoderLike {
  push(id: number): string;
  flush(): string;
}

/** Encodes text to ids (a Tokenizer fits: its encode returns { inputIds }). */
export interface TokenEncoder {
  encode(text: string): number[] | { inputIds: number[] };
}

/**
 * A stream decoder over any `decode`: re-decodes all ids on each push and emits the new stable prefix, holding
 * back a trailing U+FFFD (an incomplete UTF-8 sequence) or a lone high surrogate. O(n) per push: the generic
 * fallback; tokenizers have the bounded-window createStreamDecoder (src/tokenizers), which callers pass as streamDecoder.
 * @example const sd = decodeStream(tok); let s = ''; for (const id of ids) s += sd.push(id); s += sd.flush();
 */
export function decodeStream(decoder: TokenDecoder): StreamDecoderLike {
  const ids: number[] = [];
  let emitted = '';
  return {
    push(id: number): string {
      ids.push(id);
      let s = decoder.decode(ids).replace(/\uFFFD+$/u, '');
      const c = s.charCodeAt(s.length - 1);
      if (c >= 0xd800 && c <= 0xdbff) s = s.slice(0, -1);
      if (s.length <= emitted.length || !s.startsWith(emitted)) return '';
      const out = s.slice(emitted.length);
      emitted = s;
      return out;
    },
    flush(): string {
      const full = decoder.decode(ids);
      let i = 0;
      while (i < emitted.length && i < full.length && full.charCodeAt(i) === emitted.charCodeAt(i)) i++;
      const out = full.slice(i);
      emitted = full;
      return out;
    },
  };
}

/** Ids from an encoder's result. */
export function encodedIds(enc: number[] | { inputIds: number[] }): number[] {
  return Array.isArray(enc) ? enc : enc.inputIds;
}
