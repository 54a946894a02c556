// GPT-2 byte-level BPE (HF GPT2Tokenizer, slow semantics) from vocab.json + merges.txt: added tokens split out
// first, the GPT-2 regex, bytes_to_unicode, then lowest-rank merges. No BOS/EOS unless add_bos_token.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { AddedTokenSplitter } from './added-tokens.js';
import { fromByteLevel, gpt2PreTokenize, toByteLevel } from './byte-level.js';
import { parseTokenizerSettings, type TokenizerSettings } from './config.js';
import { readJsonObject, readTextFile } from './files.js';
import { Tokenizer, type BuiltInputs } from './tokenizer.js';
import { Vocab } from './vocab.js';

export type Merge = [string, string];

/**
 * Parses merges.txt. HF slow reads `split("\n")[1:-1]`, which silently drops the last merge when the file
 * lacks a trailing newline; we follow the Rust `tokenizers` reader instead: skip a `#version` header line and
 * blank lines, keep every other line (so a missing trailing newline loses nothing).
 * @example parseMerges('#version: 0.2\nĠ t\n', 'merges.txt') // [['Ġ', 't']]
 */
export function parseMerges(text: string, file: string): Merge[] {
  const lines = text.split('\n');
  const out: Merge[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new BertchatError('TOKENIZER', `${file}:${i + 1}: a merge must be two tokens separated by one space, got ${JSON.stringify(line)}`, { file, line: i + 1 });
    }
    out.push([parts[0]!, parts[1]!]);
  });
  if (!text.endsWith('\n') && out.length > 0) log.debug(`${file}: no trailing newline; the last merge is kept (HF slow would drop it)`);
  return out;
}

/** Lowest-rank-first BPE merge of one byte-level word, with a bounded LRU cache (20k words). */
export class BpeModel {
  readonly ranks: Map<string, number>;
  private cache = new Map<string, string[]>();
  private static readonly CACHE_SIZE = 20000;

  constructor(readonly merges: Merge[]) {
    this.ranks = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  }

  /**
   * Merges the characters of `word` (byte-level alphabet) into BPE tokens.
   * @example model.apply('Ġthe') // ['Ġthe'] with GPT-2's merges
   */
  apply(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) {
      // Least-recently-used order: a hit moves to the back of the Map.
      this.cache.delete(word);
      this.cache.set(word, hit);
      return hit;
    }
    let parts = Array.from(word);
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = parts[best]!;
      const second = parts[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < parts.length; ) {
        if (i < parts.length - 1 && parts[i] === first && parts[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(parts[i++]!);
      }
      parts = next;
    }
    if (this.cache.size >= BpeModel.CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(word, parts);
    return parts;
  }
}

export class GPT2Tokenizer extends Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocab: Vocab;
  readonly model: BpeModel;
  readonly addPrefixSpace: boolean;
  readonly addBosToken: boolean;
  private readonly splitter: AddedTokenSplitter;
  readonly addedTokens: Map<string, number>;

  /**
   * @example new GPT2Tokenizer(Vocab.fromObject(json, 'vocab.json'), merges, readTokenizerSettings(dir))
   */
  constructor(vocab: Vocab, merges: Merge[], settings: TokenizerSettings, addedTokens: Map<string, number> = new Map()) {
    super(settings);
    this.vocab = vocab;
    this.model = new BpeModel(merges);
    this.addedTokens = addedTokens;
    for (const [t, id] of addedTokens) this.vocab.set(t, id);
    this.addPrefixSpace = settings.raw['add_prefix_space'] === true;
    this.addBosToken = settings.raw['add_bos_token'] === true;
    this.splitter = new AddedTokenSplitter([...this.allSpecialTokens, ...addedTokens.keys()].filter((t) => this.vocab.has(t)));
  }

  /**
   * Reads vocab.json + merges.txt (+ optional added_tokens.json next to them).
   * @example GPT2Tokenizer.fromFiles('/m/vocab.json', '/m/merges.txt', readTokenizerSettings('/m'))
   */
  static fromFiles(vocabPath: string, mergesPath: string, settings?: TokenizerSettings): GPT2Tokenizer {
    const vocab = Vocab.fromObject(readJsonObject(vocabPath, 'vocab.json'), vocabPath);
    const merges = parseMerges(readTextFile(mergesPath, 'merges.txt'), mergesPath);
    const added = new Map<string, number>();
    const addedPath = join(vocabPath, '..', 'added_tokens.json');
    if (existsSync(addedPath)) {
      for (const [t, id] of Object.entries(readJsonObject(addedPath))) if (typeof id === 'number') added.set(t, id);
    }
    return new GPT2Tokenizer(vocab, merges, settings ?? parseTokenizerSettings({}), added);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }
  tokenToId(token: string): number | undefined {
    return this.vocab.id(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab.token(id);
  }

  /** Regex pieces of `text` (special tokens split out first, then GPT-2's pattern); for tests and training. */
  preTokenize(text: string): string[] {
    const out: string[] = [];
    const segs = this.splitter.split(this.addPrefixSpace ? ` ${text}` : text);
    for (const seg of segs) {
      if (seg.added) out.push(seg.text);
      else for (const p of gpt2PreTokenize(seg.text)) out.push(p);
    }
    return out;
  }

  /**
   * Byte-level BPE tokens of `text`.
   * @example tok.tokenize('Hello world') // ['Hello', 'Ġworld']
   */
  tokenize(text: string): string[] {
    const out: string[] = [];
    const segs = this.splitter.split(this.addPrefixSpace ? ` ${text}` : text);
    for (const seg of segs) {
      if (seg.added) {
        out.push(seg.text);
        continue;
      }
      for (const piece of gpt2PreTokenize(seg.text)) for (const t of this.model.apply(toByteLevel(piece))) out.push(t);
    }
    return out;
  }

  protected override buildInputs(ids: number[], pair: number[] | null): BuiltInputs {
    if (!this.addBosToken) return super.buildInputs(ids, pair);
    const bos = this.bosTokenId;
    if (bos === null) throw new BertchatError('TOKENIZER', 'add_bos_token is set but bos_token is not in the vocabulary');
    const a = [bos, ...ids];
    if (pair === null) return { ids: a, typeIds: new Array<number>(a.length).fill(0) };
    const b = [bos, ...pair];
    return { ids: a.concat(b), typeIds: new Array<number>(a.length).fill(0).concat(new Array<number>(b.length).fill(1)) };
  }

  /** Joins tokens, maps byte-level characters back to bytes and decodes UTF-8 (invalid bytes → U+FFFD). */
  protected tokensToString(tokens: string[]): string {
    return fromByteLevel(tokens.join(''));
  }
}
