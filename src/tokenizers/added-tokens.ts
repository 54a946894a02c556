// Splits text on added/special tokens before model tokenization, like HF's tokens trie:
// the earliest match wins, and the longest token among matches at that position.
export interface TextSegment {
  text: string;
  /** True when `text` is exactly one added token. */
  added: boolean;
}

export class AddedTokenSplitter {
  private readonly byFirst = new Map<string, string[]>();
  readonly tokens: ReadonlySet<string>;

  constructor(tokens: Iterable<string>) {
    const set = new Set<string>();
    for (const t of tokens) if (t.length > 0) set.add(t);
    this.tokens = set;
    for (const t of set) {
      const k = t[0]!;
      const list = this.byFirst.get(k) ?? [];
      list.push(t);
      this.byFirst.set(k, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.length - a.length);
  }

  /**
   * Splits `text` into plain and added-token segments (empty plain segments are dropped).
   * @example new AddedTokenSplitter(['[SEP]']).split('a[SEP]b') // [{text:'a',added:false},{text:'[SEP]',added:true},{text:'b',added:false}]
   */
  split(text: string): TextSegment[] {
    if (this.tokens.size === 0 || text.length === 0) return text.length ? [{ text, added: false }] : [];
    const out: TextSegment[] = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const cands = this.byFirst.get(text[i]!);
      let hit: string | undefined;
      if (cands) for (const c of cands) if (text.startsWith(c, i)) { hit = c; break; }
      if (hit === undefined) {
        i++;
        continue;
      }
      if (i > start) out.push({ text: text.slice(start, i), added: false });
      out.push({ text: hit, added: true });
      i += hit.length;
      start = i;
    }
    if (start < text.length) out.push({ text: text.slice(start), added: false });
    return out;
  }
}

/** HF `clean_up_tokenization`: removes spaces before punctuation and English contractions. */
export function cleanUpTokenization(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
