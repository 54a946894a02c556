// llama2.c tokenizer.bin: parse a small file written by the test, run.c-style encode (dummy prefix, score
// merges, byte fallback) and decode (no space after BOS, <0xXX> bytes), round trips and bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Llama2cTokenizer } from '../../../src/tokenizers/llama2c.js';
import { loadTokenizer } from '../../../src/tokenizers/load.js';
import { isBertchatError } from '../../../src/util/errors.js';

/** <unk>, <s>, </s>, 256 byte pieces, then a few merges with scores (higher merges first). */
function writeTok(): Uint8Array {
  const pieces: Array<[string, number]> = [['<unk>', 0], ['\n<s>\n', 0], ['\n</s>\n', 0]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  const words: Array<[string, number]> = [
    [' ', -1], ['h', -2], ['e', -3], ['l', -4], ['o', -5], ['w', -6], ['r', -7], ['d', -8], ['é', -9],
    ['ll', -10], ['he', -11], ['hell', -12], ['hello', -13], [' hello', -14], [' w', -15], ['or', -16], [' wor', -17], [' world', -18], ['ld', -19],
  ];
  pieces.push(...words);
  const enc = new TextEncoder();
  const parts: number[] = [];
  const i32 = (v: number): void => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(...b); };
  const f32 = (v: number): void => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(...b); };
  i32(7);
  for (const [p, s] of pieces) { const bytes = enc.encode(p); f32(s); i32(bytes.length); parts.push(...bytes); }
  return Uint8Array.from(parts);
}

test('llama2.c tokenizer.bin: encode like run.c and decode back', () => {
  const tok = Llama2cTokenizer.fromBuffer(writeTok());
  assert.equal(tok.vocabSize, 3 + 256 + 19);
  assert.equal(tok.maxTokenLength, 7);
  const id = (p: string): number => tok.tokenToId(p)!;
  const e = tok.encode('hello world');
  assert.deepEqual(e.inputIds, [1, id(' hello'), id(' world')]);
  assert.equal(tok.decode(e.inputIds), 'hello world', 'the dummy-prefix space after BOS is dropped');
  assert.equal(tok.decode(e.inputIds.slice(1)), ' hello world');
  // é is in the vocabulary as one piece; 😀 falls back to 4 byte tokens (byte + 3).
  const u = tok.encode('hé😀', { addSpecialTokens: false }).inputIds;
  assert.deepEqual(u, [id(' '), id('h'), id('é'), 0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3]);
  assert.equal(tok.decode([1, ...u]), 'hé😀');
  assert.deepEqual(tok.encode('').inputIds, [1]);
  assert.equal(tok.decode([1, id(' hello'), 2], { skipSpecialTokens: true }), 'hello');
  assert.equal(tok.bosTokenId, 1);
  assert.equal(tok.eosTokenId, 2);
  assert.deepEqual(Array.from(tok.toBuffer()), Array.from(writeTok()), 'serialises byte-identically');
});

test('loadTokenizer reads a folder or a path with tokenizer.bin; truncated files are TOKENIZER errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-l2c-'));
  writeFileSync(join(dir, 'tokenizer.bin'), writeTok());
  assert.equal(loadTokenizer(dir).kind, 'llama2c');
  assert.equal(loadTokenizer(join(dir, 'tokenizer.bin')).decode(loadTokenizer(dir).encode('hello').inputIds), 'hello');
  const bad = writeTok().slice(0, 30);
  assert.throws(() => Llama2cTokenizer.fromBuffer(bad, 'bad.bin'), (e) => isBertchatError(e, 'TOKENIZER') && /bad\.bin/.test(e.message));
  assert.throws(() => Llama2cTokenizer.fromFile(join(dir, 'nope.bin')), (e) => isBertchatError(e, 'NOT_FOUND'));
});
