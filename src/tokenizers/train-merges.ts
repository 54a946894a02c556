// The merge-learning core shared by the BPE and WordPiece trainers: words as symbol-id arrays with counts,
// repeatedly merge the best adjacent pair (highest count, or the WordPiece score) until the symbol budget is used.

export interface LearnMergesOptions {
  /** Stop when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** 'frequency' (HF trainers) or 'wordpiece': count(ab) / (count(a)·count(b)), which rescans every step. */
  score?: 'frequency' | 'wordpiece';
}

export interface LearnedMerges {
  /** Symbol strings by id: the initial alphabet, then one per merge that made a new string. */
  symbols: string[];
  /** Merges in order, as symbol strings. */
  merges: Array<[string, string]>;
}

const SHIFT = 0x100000; // pair key = a * SHIFT + b; symbol ids stay below 2^20
const key = (a: number, b: number): number => a * SHIFT + b;

/** Max-heap of [count, key] (ties: smaller key first, so training is deterministic). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  get size(): number {
    return this.c.length;
  }
  private better(i: number, j: number): boolean {
    return this.c[i]! > this.c[j]! || (this.c[i] === this.c[j] && this.k[i]! < this.k[j]!);
  }
  private swap(i: number, j: number): void {
    [this.c[i], this.c[j]] = [this.c[j]!, this.c[i]!];
    [this.k[i], this.k[j]] = [this.k[j]!, this.k[i]!];
  }
  push(count: number, k: number): void {
    this.c.push(count);
    this.k.push(k);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.c[0]!, this.k[0]!];
    const lc = this.c.pop()!;
    const lk = this.k.pop()!;
    if (this.c.length > 0) {
      this.c[0] = lc;
      this.k[0] = lk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.c.length && this.better(l, m)) m = l;
        if (r < this.c.length && this.better(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Learns merges over `words` (symbol ids) weighted by `counts` until `symbols.length` reaches `maxSymbols`.
 * `join` builds the merged string (BPE: a + b; WordPiece: a + b without its `##`).
 * @example learnMerges([[0, 1], [0, 1, 1]], [5, 2], ['a', 'b'], (a, b) => a + b, 3).merges // [['a', 'b']]
 */
export function learnMerges(
  words: number[][],
  counts: number[],
  initialSymbols: string[],
  join: (a: string, b: string) => string,
  maxSymbols: number,
  opts: LearnMergesOptions = {},
): LearnedMerges {
  const minFreq = opts.minFrequency ?? 2;
  const symbols = initialSymbols.slice();
  const symbolId = new Map(symbols.map((s, i) => [s, i]));
  const merges: Array<[string, string]> = [];
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const symCount: number[] = new Array<number>(symbols.length).fill(0);
  const wp = opts.score === 'wordpiece';

  const addWord = (wi: number, sign: 1 | -1, touched: Set<number> | null): void => {
    const w = words[wi]!;
    const c = counts[wi]! * sign;
    for (let i = 0; i < w.length; i++) symCount[w[i]!] = (symCount[w[i]!] ?? 0) + c;
    for (let i = 0; i + 1 < w.length; i++) {
      const k = key(w[i]!, w[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + c);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
        touched?.add(k);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addWord(wi, 1, null);
  const heap = new PairHeap();
  if (!wp) for (const [k, c] of pairCount) heap.push(c, k);

  const best = (): number | null => {
    if (wp) {
      let bk: number | null = null;
      let bs = -1;
      for (const [k, c] of pairCount) {
        if (c < minFreq) continue;
        const a = Math.floor(k / SHIFT);
        const s = c / (symCount[a]! * symCount[k - a * SHIFT]!);
        if (s > bs || (s === bs && k < bk!)) {
          bs = s;
          bk = k;
        }
      }
      return bk;
    }
    while (heap.size > 0) {
      const [c, k] = heap.pop();
      const cur = pairCount.get(k) ?? 0;
      if (cur !== c) {
        if (cur > 0) heap.push(cur, k);
        continue;
      }
      return c >= minFreq ? k : null;
    }
    return null;
  };

  while (symbols.length < maxSymbols) {
    const k = best();
    if (k === null) break;
    const a = Math.floor(k / SHIFT);
    const b = k - a * SHIFT;
    const str = join(symbols[a]!, symbols[b]!);
    let id = symbolId.get(str);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(str);
      symbolId.set(str, id);
      symCount[id] = 0;
    }
    merges.push([symbols[a]!, symbols[b]!]);
    const touched = new Set<number>();
    for (const wi of where.get(k) ?? []) {
      const w = words[wi]!;
      let found = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { found = true; break; }
      if (!found) continue;
      addWord(wi, -1, null);
      const nw: number[] = [];
      for (let i = 0; i < w.length; ) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          nw.push(id);
          i += 2;
        } else nw.push(w[i++]!);
      }
      words[wi] = nw;
      addWord(wi, 1, touched);
    }
    where.delete(k);
    pairCount.delete(k);
    if (!wp) for (const t of touched) { const c = pairCount.get(t) ?? 0; if (c > 0) heap.push(c, t); }
  }
  return { symbols, merges };
}
