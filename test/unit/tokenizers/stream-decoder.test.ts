// The stream decoder: never half a UTF-8 character, `##` continuation spacing, clean-up look-ahead,
// and the concatenation of all pieces equals decode(all ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smallBert, smallGpt2 } from './fixtures.js';
import { createStreamDecoder } from '../../../src/tokenizers/stream-decoder.js';
import { JsonTokenizer } from '../../../src/tokenizers/hf-json.js';
import { byteLevelBpeTokenizerJson, wordPieceTokenizerJson } from '../../../src/tokenizers/tokenizer-json.js';
import type { Tokenizer } from '../../../src/tokenizers/tokenizer.js';

function stream(tok: Tokenizer, ids: number[], skipSpecialTokens = false): string[] {
  const sd = createStreamDecoder(tok, { skipSpecialTokens });
  const pieces = ids.map((id) => sd.push(id));
  pieces.push(sd.flush());
  return pieces;
}

test('byte-level BPE: an emoji split over 4 byte tokens comes out whole when the last byte arrives', () => {
  const tok = smallGpt2();
  const ids = tok.encode('hi 😀').inputIds;
  assert.equal(ids.length, 2 + 1 + 4, 'h i Ġ + 4 bytes of the emoji');
  const pieces = stream(tok, ids);
  assert.deepEqual(pieces, ['h', 'i', ' ', '', '', '', '😀', '']);
});

test('byte-level BPE: CJK, ZWJ emoji and specials: concatenation equals decode()', () => {
  const tok = smallGpt2();
  for (const text of ['你好，世界', '👨‍👩‍👧‍👦 family', 'hello world<|endoftext|>more 🇺🇳', 'é\u0301 ok', '']) {
    const ids = tok.encode(text).inputIds;
    for (const skip of [false, true]) {
      const pieces = stream(tok, ids, skip);
      assert.equal(pieces.join(''), tok.decode(ids, { skipSpecialTokens: skip }), text);
      for (const p of pieces) assert.ok(!p.includes('\uFFFD'), `no replacement character in ${JSON.stringify(p)}`);
    }
  }
});

test('WordPiece: ## continuations join without a space, clean-up is applied consistently', () => {
  const tok = smallBert();
  const ids = tok.encode("Hello, world! don't playing cats.").inputIds;
  for (const skip of [false, true]) {
    const pieces = stream(tok, ids, skip);
    assert.equal(pieces.join(''), tok.decode(ids, { skipSpecialTokens: skip }));
  }
  const p = stream(tok, tok.encode('playing', { addSpecialTokens: false }).inputIds);
  assert.equal(p.join(''), 'playing');
  assert.ok(!p.some((x) => x.includes('#')));
});

test('push accepts several ids; ids are recorded', () => {
  const tok = smallGpt2();
  const sd = createStreamDecoder(tok);
  const ids = tok.encode('hello world').inputIds;
  assert.equal(sd.push(ids) + sd.flush(), 'hello world');
  assert.deepEqual([...sd.ids], ids);
});

test('tokenizer.json tokenizers stream the same text as decode()', () => {
  const bert = smallBert();
  const gpt = smallGpt2();
  const jb = new JsonTokenizer(wordPieceTokenizerJson(bert), bert.settings);
  const jg = new JsonTokenizer(byteLevelBpeTokenizerJson(gpt), gpt.settings);
  for (const [tok, text] of [[jb, "Hello, world! don't playing cats."], [jg, 'hi 😀 你好<|endoftext|>']] as const) {
    const ids = tok.encode(text).inputIds;
    for (const skip of [false, true]) assert.equal(stream(tok, ids, skip).join(''), tok.decode(ids, { skipSpecialTokens: skip }));
  }
});

test('long outputs: the window commits as it goes, the text still equals decode(), and decode work is linear', () => {
  const bert = smallBert();
  const gpt = smallGpt2();
  const tokenizers: Array<[string, Tokenizer]> = [
    ['wordpiece', bert],
    ['bpe', gpt],
    ['wordpiece json', new JsonTokenizer(wordPieceTokenizerJson(bert), bert.settings)],
    ['bpe json', new JsonTokenizer(byteLevelBpeTokenizerJson(gpt), gpt.settings)],
  ];
  const parts = ["Hello, world! don't stop playing cats.", 'hi 😀 你好 👨‍👩‍👧‍👦', "it 's a test , isn't it ?", 'é\u0301 ok 🇺🇳 done.'];
  const text = Array.from({ length: 120 }, (_, i) => parts[i % parts.length]).join(' ');
  for (const [name, tok] of tokenizers) {
    const ids = tok.encode(text, { addSpecialTokens: false }).inputIds;
    assert.ok(ids.length > 1000, `${name}: ${ids.length} ids`);
    for (const skip of [false, true]) {
      let decodedIds = 0;
      const decode = tok.decode.bind(tok);
      tok.decode = (x: number[], o?: Parameters<Tokenizer['decode']>[1]) => ((decodedIds += x.length), decode(x, o));
      try {
        const sd = createStreamDecoder(tok, { skipSpecialTokens: skip });
        const pieces = ids.map((id) => sd.push(id));
        const work = decodedIds;
        const tail = sd.flush();
        assert.equal(pieces.join('') + tail, decode(ids, { skipSpecialTokens: skip }), `${name} skip=${skip}`);
        assert.ok(tail.length < 20, `${name}: text kept flowing (flush returned ${tail.length} chars)`);
        for (const p of pieces) assert.ok(!p.includes('\uFFFD'), `${name}: no replacement character`);
        // re-decoding everything on each push would be ~3·n²/2 ids; the window keeps it to a constant per push
        assert.ok(work <= 400 * ids.length, `${name}: ${work} ids decoded for ${ids.length} pushes`);
      } finally {
        delete (tok as { decode?: unknown }).decode;
      }
    }
  }
});
