// BERT's BasicTokenizer (HF tokenization_bert.py, slow): clean text, CJK spacing, NFC, whitespace split,
// per-code-point lower-casing, accent stripping and punctuation split. WordPiece itself is in wordpiece.ts.

const CONTROL = /^\p{C}$/u;
const ZS = /^\p{Zs}$/u;
const MN = /\p{Mn}/gu;
const PUNCT = /^\p{P}$/u;
const ASCII = /^[\x00-\x7f]*$/;
/** Python str.isspace(): White_Space plus the information separators U+001C–U+001F. */
const PY_SPACE = /[\p{White_Space}\u001c-\u001f]+/u;

export interface BasicTokenizerOptions {
  doLowerCase?: boolean;
  /** null/undefined: follows doLowerCase (HF default). */
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  neverSplit?: Iterable<string>;
  doSplitOnPunc?: boolean;
}

/** BERT `_is_chinese_char`: CJK Unified Ideographs incl. Ext A–E and compatibility blocks (not kana/Hangul). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BERT `_is_punctuation`: ASCII 33–47, 58–64, 91–96, 123–126, or Unicode category P*. */
export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return cp >= 128 && PUNCT.test(ch);
}

/** BERT `_is_whitespace`: space, \t, \n, \r or category Zs. */
export function isBertWhitespace(ch: string): boolean {
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') return true;
  return ch.charCodeAt(0) >= 128 && ZS.test(ch);
}

/** BERT `_is_control`: any C* category except \t \n \r. */
export function isBertControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  const cp = ch.codePointAt(0)!;
  if (cp < 128) return cp < 32 || cp === 127;
  return CONTROL.test(ch);
}

/** Python `text.strip().split()` (splits on every str.isspace() character, incl. U+2028, U+0085). */
export function pySplit(text: string): string[] {
  return text.split(PY_SPACE).filter((s) => s.length > 0);
}

/** Lower-cases one code point at a time, so context rules (Greek final sigma) never apply, as HF slow does. */
export function lowerPerCodePoint(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/** NFD, then drop combining marks (Mn); enclosing marks (Me, e.g. keycap U+20E3) are kept. */
export function stripAccents(text: string): string {
  if (ASCII.test(text)) return text;
  return text.normalize('NFD').replace(MN, '');
}

export class BasicTokenizer {
  readonly doLowerCase: boolean;
  readonly stripAccents: boolean | null;
  readonly tokenizeChineseChars: boolean;
  readonly neverSplit: Set<string>;
  readonly doSplitOnPunc: boolean;

  constructor(opts: BasicTokenizerOptions = {}) {
    this.doLowerCase = opts.doLowerCase ?? true;
    this.stripAccents = opts.stripAccents ?? null;
    this.tokenizeChineseChars = opts.tokenizeChineseChars ?? true;
    this.neverSplit = new Set(opts.neverSplit ?? []);
    this.doSplitOnPunc = opts.doSplitOnPunc ?? true;
  }

  /**
   * Splits text into basic tokens (words and single punctuation marks).
   * @example new BasicTokenizer().tokenize('Héllo, World!') // ['hello', ',', 'world', '!']
   */
  tokenize(text: string, neverSplit?: Iterable<string>): string[] {
    const never = neverSplit ? new Set([...this.neverSplit, ...neverSplit]) : this.neverSplit;
    let t = cleanText(text);
    if (this.tokenizeChineseChars) t = spaceChineseChars(t);
    t = t.normalize('NFC');
    const out: string[] = [];
    for (let token of pySplit(t)) {
      if (!never.has(token)) {
        if (this.doLowerCase) {
          token = lowerPerCodePoint(token);
          if (this.stripAccents !== false) token = stripAccents(token);
        } else if (this.stripAccents) token = stripAccents(token);
      }
      for (const piece of this.splitOnPunc(token, never)) out.push(piece);
    }
    return pySplit(out.join(' '));
  }

  private splitOnPunc(text: string, never: Set<string>): string[] {
    if (!this.doSplitOnPunc || never.has(text)) return [text];
    const out: string[] = [];
    let cur = '';
    for (const ch of text) {
      if (isPunctuation(ch)) {
        if (cur) out.push(cur);
        out.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) out.push(cur);
    return out;
  }
}

/** BERT `_clean_text`: drops NUL, U+FFFD and controls; maps whitespace to a space. */
export function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isBertControl(ch)) continue;
    out += isBertWhitespace(ch) ? ' ' : ch;
  }
  return out;
}

/** Puts spaces around CJK ideographs. */
export function spaceChineseChars(text: string): string {
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}
