// The common Tokenizer interface: pairs and token_type_ids, truncation strategies, padding, attention masks,
// decode, special tokens from {content} objects and model_max_length sentinels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smallBert, smallGpt2 } from './fixtures.js';
import { parseTokenizerSettings } from '../../../src/tokenizers/config.js';
import { truncateSequences } from '../../../src/tokenizers/truncation.js';
import { isBertchatError } from '../../../src/util/errors.js';

test('single sequence gets [CLS] … [SEP], attention mask and token_type_ids', () => {
  const tok = smallBert();
  const e = tok.encode('Hello world!');
  assert.deepEqual(e.tokens, ['[CLS]', 'hello', 'world', '!', '[SEP]']);
  assert.deepEqual(e.inputIds, [2, 5, 6, 23, 3]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 1, 1]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 0]);
  assert.deepEqual(tok.encode('Hello', { addSpecialTokens: false }).inputIds, [5]);
  assert.equal(tok.numSpecialTokensToAdd(false), 2);
  assert.equal(tok.numSpecialTokensToAdd(true), 3);
});

test('pairs: [CLS] A [SEP] B [SEP] with token_type_ids 0…0 1…1', () => {
  const tok = smallBert();
  const e = tok.encode('the cat', { textPair: 'sat on a mat' });
  assert.deepEqual(e.tokens, ['[CLS]', 'the', 'cat', '[SEP]', 'sat', 'on', 'a', 'mat', '[SEP]']);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1, 1, 1]);
  const g = smallGpt2().encode('hello', { textPair: ' world' });
  assert.equal(g.tokenTypeIds, undefined, 'GPT-2 does not return token_type_ids by default');
  assert.deepEqual(g.tokens, ['hello', 'Ġworld']);
});

test('wordpiece, unknown words and the 100-character limit', () => {
  const tok = smallBert();
  assert.deepEqual(tok.tokenize('unaffable playing cats'), ['un', '##aff', '##able', 'play', '##ing', 'cat', '##s']);
  assert.deepEqual(tok.tokenize('qqq'), ['[UNK]']);
  assert.deepEqual(tok.tokenize('[MASK] [mask]'), ['[MASK]', '[UNK]', '[UNK]', '[UNK]']);
  assert.deepEqual(tok.tokenize('你好'), ['你', '好']);
});

test('truncation longest_first removes from the longer sequence one token at a time (pair on ties)', () => {
  assert.deepEqual(truncateSequences([1, 2, 3, 4, 5], [6, 7], 3, 'longest_first', 'right'), { ids: [1, 2], pairIds: [6, 7] });
  assert.deepEqual(truncateSequences([1, 2, 3], [4, 5, 6], 1, 'longest_first', 'right'), { ids: [1, 2, 3], pairIds: [4, 5] });
  assert.deepEqual(truncateSequences([1, 2, 3], [4, 5, 6], 3, 'longest_first', 'right'), { ids: [1, 2], pairIds: [4] });
  assert.deepEqual(truncateSequences([1, 2, 3], [4, 5, 6], 2, 'longest_first', 'left'), { ids: [2, 3], pairIds: [5, 6] });
  assert.deepEqual(truncateSequences([1, 2, 3], null, 2, 'longest_first', 'right'), { ids: [1], pairIds: null });
});

test('truncation only_first / only_second, and too-short sequences stay unchanged', () => {
  assert.deepEqual(truncateSequences([1, 2, 3], [4, 5, 6], 2, 'only_first', 'right'), { ids: [1], pairIds: [4, 5, 6] });
  assert.deepEqual(truncateSequences([1, 2, 3], [4, 5, 6], 2, 'only_second', 'right'), { ids: [1, 2, 3], pairIds: [4] });
  assert.deepEqual(truncateSequences([1, 2], [4, 5, 6], 2, 'only_first', 'right'), { ids: [1, 2], pairIds: [4, 5, 6] });
  assert.deepEqual(truncateSequences([1, 2], [4], 1, 'only_second', 'right'), { ids: [1, 2], pairIds: [4] });
  assert.deepEqual(truncateSequences([1, 2], [4], 1, 'do_not_truncate', 'right'), { ids: [1, 2], pairIds: [4] });
});

test('encode truncates with special tokens counted, and maxLength alone implies longest_first', () => {
  const tok = smallBert();
  const a = 'the cat sat on the mat';
  const b = 'hello world';
  assert.deepEqual(tok.encode(a, { textPair: b, truncation: true, maxLength: 7 }).tokens, ['[CLS]', 'the', 'cat', '[SEP]', 'hello', 'world', '[SEP]']);
  assert.deepEqual(tok.encode(a, { textPair: b, truncation: 'only_first', maxLength: 7 }).tokens, ['[CLS]', 'the', 'cat', '[SEP]', 'hello', 'world', '[SEP]']);
  assert.deepEqual(tok.encode(a, { textPair: b, truncation: 'only_second', maxLength: 10 }).tokens, ['[CLS]', 'the', 'cat', 'sat', 'on', 'the', 'mat', '[SEP]', 'hello', '[SEP]']);
  assert.deepEqual(tok.encode(a, { maxLength: 4 }).tokens, ['[CLS]', 'the', 'cat', '[SEP]']);
  assert.equal(tok.encode(a, { maxLength: 4, truncation: false }).inputIds.length, 8);
  const left = smallBert({ truncation_side: 'left' });
  assert.deepEqual(left.encode(a, { maxLength: 4 }).tokens, ['[CLS]', 'the', 'mat', '[SEP]']);
  // truncation: true with no maxLength uses model_max_length
  const limited = smallBert({ model_max_length: 5 });
  assert.equal(limited.encode(a, { truncation: true }).inputIds.length, 5);
  assert.equal(limited.encode(a).inputIds.length, 8, 'no truncation unless asked');
});

test('padding: longest, max_length, left/right, pad_to_multiple_of, attention masks', () => {
  const tok = smallBert();
  const texts = ['hello', 'the cat sat'];
  const r = tok.encodeBatch(texts, { padding: true });
  assert.deepEqual(r.inputIds, [[2, 5, 3, 0, 0], [2, 7, 8, 9, 3]]);
  assert.deepEqual(r.attentionMask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
  assert.deepEqual(r.tokenTypeIds, [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
  const l = tok.encodeBatch(texts, { padding: 'longest', paddingSide: 'left' });
  assert.deepEqual(l.inputIds, [[0, 0, 2, 5, 3], [2, 7, 8, 9, 3]]);
  assert.deepEqual(l.attentionMask, [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]);
  const m = tok.encodeBatch(texts, { padding: 'max_length', maxLength: 6 });
  assert.deepEqual(m.inputIds, [[2, 5, 3, 0, 0, 0], [2, 7, 8, 9, 3, 0]]);
  const mt = tok.encodeBatch(['the cat sat on the mat', 'hello'], { padding: 'max_length', truncation: true, maxLength: 4 });
  assert.deepEqual(mt.inputIds, [[2, 7, 8, 3], [2, 5, 3, 0]]);
  assert.deepEqual(tok.encodeBatch(texts, { padding: true, padToMultipleOf: 4 }).inputIds[0]!.length, 8);
  assert.deepEqual(tok.encodeBatch(texts).inputIds, [[2, 5, 3], [2, 7, 8, 9, 3]], 'no padding: ragged rows');
  const sideFromConfig = smallBert({ padding_side: 'left' });
  assert.deepEqual(sideFromConfig.encodeBatch(texts, { padding: true }).inputIds[0], [0, 0, 2, 5, 3]);
  const pairs = tok.encodeBatch([['hello', 'world'], ['the cat', 'sat']], { padding: true });
  assert.deepEqual(pairs.tokenTypeIds, [[0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 1]]);
});

test('padding without a pad token is a TOKENIZER error; with one set it works', () => {
  const g = smallGpt2();
  assert.throws(() => g.encodeBatch(['hello', 'hello world'], { padding: true }), (e) => isBertchatError(e, 'TOKENIZER'));
  const g2 = smallGpt2({ pad_token: '<|endoftext|>' });
  const r = g2.encodeBatch(['hello', 'hello world'], { padding: true, paddingSide: 'left' });
  assert.deepEqual(r.attentionMask, [[0, 1], [1, 1]]);
  assert.deepEqual(r.inputIds[0], [g2.eosTokenId, g2.tokenToId('hello')]);
});

test('decode with and without skipSpecialTokens; clean-up of spaces; batchDecode', () => {
  const tok = smallBert();
  const ids = tok.encode("Hello, world! don't playing").inputIds;
  assert.equal(tok.decode(ids), "[CLS] hello, world! don't playing [SEP]");
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "hello, world! don't playing");
  assert.equal(tok.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }), "hello , world ! don ' t playing");
  assert.deepEqual(tok.batchDecode([[5, 6], [7, 8, 17]]), ['hello world', 'the cats']);
  assert.equal(tok.decode([]), '');
  const g = smallGpt2();
  const gi = g.encode('hello world<|endoftext|>').inputIds;
  assert.equal(g.decode(gi), 'hello world<|endoftext|>');
  assert.equal(g.decode(gi, { skipSpecialTokens: true }), 'hello world');
  assert.throws(() => tok.decode([999]), (e) => isBertchatError(e, 'INDEX_OUT_OF_RANGE'));
});

test('special tokens may be {content} objects; huge model_max_length means unset', () => {
  const s = parseTokenizerSettings({
    pad_token: { content: '[PAD]', lstrip: false, normalized: false, rstrip: false, single_word: false },
    cls_token: { content: '[CLS]' },
    additional_special_tokens: [{ content: 'x' }, 'y'],
    model_max_length: 1000000000000000019884624838656,
  });
  assert.equal(s.specialTokens.pad_token, '[PAD]');
  assert.equal(s.specialTokens.cls_token, '[CLS]');
  assert.deepEqual(s.additionalSpecialTokens, ['x', 'y']);
  assert.equal(s.modelMaxLength, null);
  const tok = smallBert({ mask_token: { content: '[MASK]' }, additional_special_tokens: [{ content: 'x' }] });
  assert.equal(tok.maskTokenId, 4);
  assert.equal(tok.padToken, '[PAD]');
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.unkTokenId, 1);
  assert.equal(tok.bosToken, null);
  assert.deepEqual(tok.convertTokensToIds(['hello', 'nope']), [5, 1]);
  assert.deepEqual(tok.convertIdsToTokens([2, 5]), ['[CLS]', 'hello']);
  assert.ok(tok.allSpecialIds.has(29), 'additional special token x is special');
  assert.equal(tok.decode([5, 29, 6], { skipSpecialTokens: true }), 'hello world');
  assert.equal(tok.vocabSize, 34);
});

test('DistilBERT-style configs do not return token_type_ids; returnTokenTypeIds overrides', () => {
  const tok = smallBert({ tokenizer_class: 'DistilBertTokenizer' });
  assert.equal(tok.encode('hello').tokenTypeIds, undefined);
  assert.deepEqual(tok.encode('hello', { returnTokenTypeIds: true }).tokenTypeIds, [0, 0, 0]);
});

test('bad inputs are INVALID_ARGUMENT', () => {
  const tok = smallBert();
  assert.throws(() => tok.encode(42 as unknown as string), (e) => isBertchatError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => tok.encodeBatch(['a'], { padding: 'max_length' }), (e) => isBertchatError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => tok.encode('a', { truncation: 'sideways' as never }), (e) => isBertchatError(e, 'INVALID_ARGUMENT'));
});
