// A minimal byte-level tokenizer over golden/gpt2-tiny-random/vocab.json for generation tests: decode is exact
// (GPT-2 bytes_to_unicode), encode uses single-byte tokens only (valid ids, no merges), so tests do not depend
// on the tokenizers module being finished.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i]!)));
  return out;
}

export class TinyByteTokenizer {
  private readonly idToToken: string[] = [];
  private readonly byteId = new Map<number, number>();
  private readonly charByte = new Map<string, number>();
  constructor(dir: string) {
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    for (const [tok, id] of Object.entries(vocab)) this.idToToken[id] = tok;
    const b2u = bytesToUnicode();
    b2u.forEach((c, b) => {
      this.charByte.set(c, b);
      this.byteId.set(b, vocab[c]!);
    });
  }
  encode(text: string): number[] {
    return [...Buffer.from(text, 'utf8')].map((b) => this.byteId.get(b)!);
  }
  decode(ids: number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.idToToken[id] ?? '';
      if (tok === '<|endoftext|>') {
        bytes.push(...Buffer.from(tok));
        continue;
      }
      for (const ch of tok) bytes.push(this.charByte.get(ch)!);
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
  }
}
