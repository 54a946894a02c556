// A token <-> id table shared by the WordPiece and BPE tokenizers (base vocabulary plus added tokens).
import { BertchatError } from '../util/errors.js';

export class Vocab {
  private readonly idToTok: string[] = [];
  private readonly tokToId = new Map<string, number>();

  /** Builds from tokens in id order (vocab.txt). A later duplicate wins the token → id lookup, as in HF. */
  static fromList(tokens: string[]): Vocab {
    const v = new Vocab();
    tokens.forEach((t, i) => v.set(t, i));
    return v;
  }

  /** Builds from a {token: id} object (vocab.json); `file` names the source in errors. */
  static fromObject(obj: Record<string, unknown>, file: string): Vocab {
    const v = new Vocab();
    for (const [t, id] of Object.entries(obj)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new BertchatError('TOKENIZER', `${file}: id of token ${JSON.stringify(t)} must be a non-negative integer, got ${JSON.stringify(id)}`, { file });
      }
      v.set(t, id);
    }
    return v;
  }

  set(token: string, id: number): void {
    this.idToTok[id] = token;
    this.tokToId.set(token, id);
  }
  id(token: string): number | undefined {
    return this.tokToId.get(token);
  }
  token(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.idToTok[id] : undefined;
  }
  has(token: string): boolean {
    return this.tokToId.has(token);
  }
  /** Largest id + 1. */
  get size(): number {
    return this.idToTok.length;
  }
  /** Tokens in id order (holes as undefined). */
  list(): Array<string | undefined> {
    return Array.from({ length: this.idToTok.length }, (_, i) => this.idToTok[i]);
  }
  /** {token: id} for saving as vocab.json / tokenizer.json. */
  toObject(): Record<string, number> {
    const o: Record<string, number> = {};
    for (const [t, id] of [...this.tokToId.entries()].sort((a, b) => a[1] - b[1])) o[t] = id;
    return o;
  }
  clone(): Vocab {
    const v = new Vocab();
    this.idToTok.forEach((t, i) => v.idToTok[i] = t);
    for (const [t, i] of this.tokToId) v.tokToId.set(t, i);
    return v;
  }
}
