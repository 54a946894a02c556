// BERT's WordPiece tokenizer (HF BertTokenizer, slow semantics): BasicTokenizer + greedy longest-match-first
// with `##` continuations. Reads vocab.txt; `[CLS] A [SEP] B [SEP]` pairs with token_type_ids.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { AddedTokenSplitter } from './added-tokens.js';
import { BasicTokenizer } from './bert-basic.js';
import { modelInputNames, parseTokenizerSettings, type TokenizerSettings } from './config.js';
import { readJsonObject, readTextFile } from './files.js';
import { Tokenizer, type BuiltInputs } from './tokenizer.js';
import { Vocab } from './vocab.js';

/**
 * Greedy longest-match-first WordPiece of one word; a word longer than `maxChars` code points, or one that
 * cannot be covered, becomes `[unk]`.
 * @example wordpiece('unaffable', vocab, '[UNK]') // ['una', '##ffa', '##ble']
 */
export function wordpiece(word: string, vocab: { has(t: string): boolean }, unk: string, maxChars = 100, prefix = '##'): string[] {
  const chars = Array.from(word);
  if (chars.length > maxChars) return [unk];
  const out: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = chars.length;
    let cur: string | null = null;
    while (start < end) {
      let sub = chars.slice(start, end).join('');
      if (start > 0) sub = prefix + sub;
      if (vocab.has(sub)) {
        cur = sub;
        break;
      }
      end--;
    }
    if (cur === null) return [unk];
    out.push(cur);
    start = end;
  }
  return out;
}

/** Splits vocab.txt text into tokens: on "\n" only (bert-base-chinese has U+2028 as a token), "\r\n" tolerated. */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export class BertTokenizer extends Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocab: Vocab;
  readonly basic: BasicTokenizer;
  readonly doBasicTokenize: boolean;
  readonly maxInputCharsPerWord: number;
  private readonly splitter: AddedTokenSplitter;
  /** Tokens from added_tokens.json (id ≥ base vocabulary size). */
  readonly addedTokens: Map<string, number>;

  /**
   * @example new BertTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello'], parseTokenizerSettings({ unk_token: '[UNK]' }))
   */
  constructor(tokens: string[] | Vocab, settings: TokenizerSettings, addedTokens: Map<string, number> = new Map()) {
    const raw = settings.raw;
    // BERT's defaults for tokens the config does not name.
    const sp = settings.specialTokens;
    sp.unk_token ??= '[UNK]';
    sp.sep_token ??= '[SEP]';
    sp.pad_token ??= '[PAD]';
    sp.cls_token ??= '[CLS]';
    sp.mask_token ??= '[MASK]';
    super(settings);
    this.modelInputNames = modelInputNames(raw, true);
    this.vocab = tokens instanceof Vocab ? tokens : Vocab.fromList(tokens);
    this.addedTokens = addedTokens;
    for (const [t, id] of addedTokens) this.vocab.set(t, id);
    const neverSplit = Array.isArray(raw['never_split']) ? (raw['never_split'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    const sa = raw['strip_accents'];
    this.basic = new BasicTokenizer({
      doLowerCase: typeof raw['do_lower_case'] === 'boolean' ? raw['do_lower_case'] : true,
      stripAccents: typeof sa === 'boolean' ? sa : null,
      tokenizeChineseChars: typeof raw['tokenize_chinese_chars'] === 'boolean' ? raw['tokenize_chinese_chars'] : true,
      neverSplit,
    });
    this.doBasicTokenize = typeof raw['do_basic_tokenize'] === 'boolean' ? raw['do_basic_tokenize'] : true;
    const mc = raw['max_input_chars_per_word'];
    this.maxInputCharsPerWord = typeof mc === 'number' ? mc : 100;
    this.splitter = new AddedTokenSplitter([...this.allSpecialTokens, ...addedTokens.keys()]);
  }

  /**
   * Reads `vocab.txt` (+ optional added_tokens.json) with the given settings.
   * @example BertTokenizer.fromVocabFile('/m/vocab.txt', readTokenizerSettings('/m'))
   */
  static fromVocabFile(path: string, settings?: TokenizerSettings): BertTokenizer {
    const tokens = parseVocabTxt(readTextFile(path, 'vocab.txt'));
    if (tokens.length === 0) throw new BertchatError('TOKENIZER', `${path}: the vocabulary is empty`, { file: path });
    const addedPath = join(path, '..', 'added_tokens.json');
    const added = new Map<string, number>();
    if (existsSync(addedPath)) {
      for (const [t, id] of Object.entries(readJsonObject(addedPath))) if (typeof id === 'number') added.set(t, id);
    }
    return new BertTokenizer(tokens, settings ?? parseTokenizerSettings({}), added);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }
  get doLowerCase(): boolean {
    return this.basic.doLowerCase;
  }
  tokenToId(token: string): number | undefined {
    return this.vocab.id(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab.token(id);
  }

  /**
   * HF `tokenize`: special/added tokens split out case-sensitively, then basic tokenization and WordPiece.
   * @example tok.tokenize('Hello [MASK]!') // ['hello', '[MASK]', '!']
   */
  tokenize(text: string): string[] {
    const out: string[] = [];
    const unk = this.unkToken ?? '[UNK]';
    const special = this.allSpecialTokens;
    for (const seg of this.splitter.split(text)) {
      if (seg.added) {
        out.push(seg.text);
        continue;
      }
      const words = this.doBasicTokenize ? this.basic.tokenize(seg.text, special) : seg.text.split(/\s+/u).filter(Boolean);
      for (const w of words) {
        if (this.basic.neverSplit.has(w)) out.push(w);
        else for (const p of wordpiece(w, this.vocab, unk, this.maxInputCharsPerWord)) out.push(p);
      }
    }
    return out;
  }

  protected override buildInputs(ids: number[], pair: number[] | null): BuiltInputs {
    const cls = this.clsTokenId;
    const sep = this.sepTokenId;
    if (cls === null || sep === null) throw new BertchatError('TOKENIZER', 'cls_token / sep_token are not in the vocabulary');
    const a = [cls, ...ids, sep];
    if (pair === null) return { ids: a, typeIds: new Array<number>(a.length).fill(0) };
    const b = [...pair, sep];
    return { ids: a.concat(b), typeIds: new Array<number>(a.length).fill(0).concat(new Array<number>(b.length).fill(1)) };
  }

  override get cleanUpTokenizationSpaces(): boolean {
    return this.settings.cleanUpTokenizationSpaces ?? true;
  }

  /** HF: `" ".join(tokens).replace(" ##", "").strip()`. */
  protected tokensToString(tokens: string[]): string {
    return tokens.join(' ').replaceAll(' ##', '').trim();
  }
}
