// Character offsets of WordPiece tokens in the original text, for tokenizers that do not report them
// (the slow-style BertTokenizer). The text is normalised the way BasicTokenizer does (clean-up, lower case,
// accent stripping) with a map back to the original UTF-16 positions, then the tokens are matched in order.
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { BertTokenizer } from '../tokenizers/wordpiece.js';
import { isBertControl, isBertWhitespace, isChineseChar, isPunctuation } from '../tokenizers/bert-basic.js';

export type Offset = [number, number] | null;

interface View {
  chars: string[]; // normalised characters (code points)
  start: number[]; // original UTF-16 start of each
  end: number[]; // original UTF-16 end of each
}

function normalisedView(text: string, lower: boolean, strip: boolean): View {
  const v: View = { chars: [], start: [], end: [] };
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const s = i;
    i += ch.length;
    if (cp === 0 || cp === 0xfffd || isBertControl(ch)) continue;
    let n = isBertWhitespace(ch) || /^\s$/u.test(ch) ? ' ' : ch; // Python str.split() also splits on U+2028, U+0085
    if (lower) n = n.toLowerCase();
    if (strip) n = n.normalize('NFD').replace(/\p{Mn}/gu, '');
    for (const c of n) {
      v.chars.push(c);
      v.start.push(s);
      v.end.push(i);
    }
  }
  return v;
}

const isBoundary = (c: string): boolean => c === ' ' || isPunctuation(c) || isChineseChar(c.codePointAt(0)!);

/**
 * [start, end) UTF-16 offsets of each token into `text` (null for special tokens added around the text and for
 * tokens that cannot be placed). Uses the tokenizer's own offsets when it has them.
 */
export function tokenOffsets(tokenizer: Tokenizer, text: string, tokens: readonly string[], specialMask: readonly boolean[]): Offset[] {
  const bert = tokenizer instanceof BertTokenizer ? tokenizer : null;
  const lower = bert ? bert.basic.doLowerCase : false;
  const strip = bert ? (bert.basic.stripAccents ?? lower) : false;
  const v = normalisedView(text, lower, strip);
  const unk = tokenizer.unkToken;
  let pos = 0;
  return tokens.map((tok, t) => {
    if (specialMask[t]) return null;
    while (pos < v.chars.length && v.chars[pos] === ' ') pos++;
    if (pos >= v.chars.length) return null;
    let len: number;
    if (tok === unk) {
      // an unknown word: one boundary character, or up to the next boundary
      len = 1;
      if (!isBoundary(v.chars[pos]!)) while (pos + len < v.chars.length && !isBoundary(v.chars[pos + len]!)) len++;
    } else {
      const piece = Array.from(tok.startsWith('##') ? tok.slice(2) : tok);
      const cmp = (a: string, b: string): boolean => a === b || a.toLowerCase() === b.toLowerCase();
      if (piece.length === 0 || !piece.every((c, j) => pos + j < v.chars.length && cmp(v.chars[pos + j]!, c))) return null;
      len = piece.length;
    }
    const off: Offset = [v.start[pos]!, v.end[pos + len - 1]!];
    pos += len;
    return off;
  });
}
