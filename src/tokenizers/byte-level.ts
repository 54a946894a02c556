// GPT-2 byte-level helpers: bytes_to_unicode (each byte ↔ a printable code point) and the pre-tokenisation regex.
// Shared by the BPE tokenizer, its trainer and the stream decoder.

/** GPT-2's split pattern. `\s` is written as \p{White_Space} so that U+FEFF (a JS-only \s) is not whitespace, as in Python `regex`. */
export const GPT2_PATTERN_SOURCE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const WS = '\\p{White_Space}';
export const GPT2_REGEX = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  'gu',
);

/**
 * Splits text into GPT-2 pre-tokens.
 * @example gpt2PreTokenize("Hello world's") // ['Hello', ' world', "'s"]
 */
export function gpt2PreTokenize(text: string): string[] {
  return text.match(GPT2_REGEX) ?? [];
}

function buildBytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i]!)));
  return table;
}

/** BYTE_TO_UNICODE[b] is the printable character GPT-2 uses for byte b (space → 'Ġ'). */
export const BYTE_TO_UNICODE: readonly string[] = buildBytesToUnicode();
/** The inverse of BYTE_TO_UNICODE. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 bytes of `text` mapped to the byte-level alphabet. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_UNICODE[b]!;
  return out;
}

/** Byte-level characters back to bytes; characters outside the alphabet are kept as their own UTF-8. */
export function byteLevelToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = UNICODE_TO_BYTE.get(ch);
    if (b !== undefined) out.push(b);
    else for (const x of encoder.encode(ch)) out.push(x);
  }
  return Uint8Array.from(out);
}

/** Byte-level text → string (invalid UTF-8 becomes U+FFFD, like HF's errors="replace"). */
export function fromByteLevel(text: string): string {
  return decoder.decode(byteLevelToBytes(text));
}
