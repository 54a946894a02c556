// llama2.c `tokenizer.bin` (int32 max_token_length; per token: float32 score, int32 len, bytes) with run.c's
// encode (dummy prefix space, byte fallback `<0xXX>` = byte + 3, greedy best-score pair merges) and decode.
import { readFileSync, existsSync } from 'node:fs';
import { BertchatError } from '../util/errors.js';
import { parseTokenizerSettings, type TokenizerSettings } from './config.js';
import { Tokenizer, type BuiltInputs } from './tokenizer.js';
import type { DecodeOptions } from './types.js';

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8 = new TextDecoder('utf-8', { fatal: false });
/** Pieces are kept as "binary" strings (one char per byte) so partial UTF-8 pieces can be joined and looked up. */
const bin = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

export class Llama2cTokenizer extends Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly pieces: Uint8Array[];
  readonly scores: Float32Array;
  readonly maxTokenLength: number;
  private readonly lookup = new Map<string, number>();
  private readonly binPieces: string[];
  /** run.c always adds BOS (id 1); set false to match `encode(..., bos=0)`. */
  addBosToken = true;
  addEosToken = false;

  /**
   * @example new Llama2cTokenizer(pieces, scores, 7) // pieces[0..2] are <unk>, <s>, </s>
   */
  constructor(pieces: Uint8Array[], scores: Float32Array, maxTokenLength: number, settings?: TokenizerSettings) {
    // Special tokens are whatever pieces 0, 1, 2 hold (llama2.c exports BOS as "\n<s>\n").
    const piece = (i: number): string => utf8.decode(pieces[i] ?? new Uint8Array());
    super(settings ?? parseTokenizerSettings({ unk_token: piece(0), bos_token: piece(1), eos_token: piece(2) }));
    this.pieces = pieces;
    this.scores = scores;
    this.maxTokenLength = maxTokenLength;
    this.binPieces = pieces.map(bin);
    this.binPieces.forEach((p, i) => {
      if (!this.lookup.has(p)) this.lookup.set(p, i);
    });
  }

  /**
   * Parses a tokenizer.bin buffer; the vocabulary size is the number of records up to the end of the file.
   * @example Llama2cTokenizer.fromBuffer(readFileSync('tok512.bin'), 'tok512.bin')
   */
  static fromBuffer(buf: Uint8Array, file = 'tokenizer.bin'): Llama2cTokenizer {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.byteLength < 4) throw new BertchatError('TOKENIZER', `${file}: too short for a llama2.c tokenizer`, { file });
    const maxLen = dv.getInt32(0, true);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let off = 4;
    while (off < buf.byteLength) {
      if (off + 8 > buf.byteLength) throw new BertchatError('TOKENIZER', `${file}: truncated record header at byte ${off}`, { file });
      scores.push(dv.getFloat32(off, true));
      const len = dv.getInt32(off + 4, true);
      off += 8;
      if (len < 0 || off + len > buf.byteLength) throw new BertchatError('TOKENIZER', `${file}: token ${pieces.length} has bad length ${len} at byte ${off - 4}`, { file });
      pieces.push(buf.slice(off, off + len));
      off += len;
    }
    if (pieces.length < 3) throw new BertchatError('TOKENIZER', `${file}: needs at least <unk>, <s>, </s>`, { file });
    return new Llama2cTokenizer(pieces, Float32Array.from(scores), maxLen);
  }

  /** Reads a tokenizer.bin file. */
  static fromFile(path: string): Llama2cTokenizer {
    if (!existsSync(path)) throw new BertchatError('NOT_FOUND', `tokenizer.bin not found: ${path}`, { file: path });
    return Llama2cTokenizer.fromBuffer(readFileSync(path), path);
  }

  /** Serialises back to the tokenizer.bin layout. */
  toBuffer(): Uint8Array {
    const size = 4 + this.pieces.reduce((n, p) => n + 8 + p.length, 0);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setInt32(0, this.maxTokenLength, true);
    let off = 4;
    this.pieces.forEach((p, i) => {
      dv.setFloat32(off, this.scores[i]!, true);
      dv.setInt32(off + 4, p.length, true);
      out.set(p, off + 8);
      off += 8 + p.length;
    });
    return out;
  }

  get vocabSize(): number {
    return this.pieces.length;
  }
  tokenToId(token: string): number | undefined {
    return this.lookup.get(bin(new TextEncoder().encode(token)));
  }
  idToToken(id: number): string | undefined {
    const p = this.pieces[id];
    return p === undefined ? undefined : utf8.decode(p);
  }

  /** Token ids of `text` as run.c's encode (without BOS/EOS). */
  protected override encodeText(text: string): number[] {
    const bytes = new TextEncoder().encode(text);
    const tokens: number[] = [];
    if (bytes.length === 0) return tokens;
    const dummy = this.lookup.get(' ');
    if (dummy !== undefined) tokens.push(dummy);
    for (let i = 0; i < bytes.length; ) {
      let j = i + 1;
      while (j < bytes.length && (bytes[j]! & 0xc0) === 0x80 && j - i < 4) j++;
      const id = this.lookup.get(bin(bytes.subarray(i, j)));
      if (id !== undefined) tokens.push(id);
      else for (let k = i; k < j; k++) tokens.push(bytes[k]! + 3);
      i = j;
    }
    for (;;) {
      let best = -1e10;
      let bestId = -1;
      let bestIdx = -1;
      for (let i = 0; i < tokens.length - 1; i++) {
        const id = this.lookup.get(this.binPieces[tokens[i]!]! + this.binPieces[tokens[i + 1]!]!);
        if (id !== undefined && this.scores[id]! > best) {
          best = this.scores[id]!;
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      tokens.splice(bestIdx, 2, bestId);
    }
    return tokens;
  }

  tokenize(text: string): string[] {
    return this.encodeText(text).map((id) => this.binPieces[id]!).map((p) => utf8.decode(Buffer.from(p, 'latin1')));
  }

  protected override buildInputs(ids: number[], pair: number[] | null): BuiltInputs {
    const all = [...(this.addBosToken ? [1] : []), ...ids, ...(pair ?? []), ...(this.addEosToken ? [2] : [])];
    return { ids: all, typeIds: new Array<number>(all.length).fill(0) };
  }

  protected tokensToString(tokens: string[]): string {
    return tokens.join('');
  }

  /**
   * run.c's decode: a piece after BOS loses its leading space; `<0xXX>` pieces are raw bytes; BOS/EOS print
   * nothing; then UTF-8 (invalid bytes → U+FFFD).
   * @example tok.decode(tok.encode('héllo').inputIds) // 'héllo'
   */
  override decode(ids: number[], opts: DecodeOptions = {}): string {
    const bytes: number[] = [];
    let prev = -1;
    for (const id of ids) {
      const p = this.pieces[id];
      if (p === undefined) throw new BertchatError('INDEX_OUT_OF_RANGE', `token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      // BOS/EOS are never printed (run.c prints neither; their exported pieces are "\n<s>\n", "\n</s>\n").
      const skip = id === 1 || id === 2 || (opts.skipSpecialTokens === true && id === 0);
      if (!skip) {
        const m = BYTE_PIECE.exec(this.binPieces[id]!);
        if (m) bytes.push(parseInt(m[1]!, 16));
        else for (let k = prev === 1 && p[0] === 0x20 ? 1 : 0; k < p.length; k++) bytes.push(p[k]!);
      }
      prev = id;
    }
    return utf8.decode(Uint8Array.from(bytes));
  }
}
