// Tokenizer training: WordPiece and byte-level BPE learned from text, saved as tokenizer.json, and loaded back
// by @huggingface/tokenizers with identical ids; speed on ~1 MB of text when ../shared is present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { trainWordPiece } from '../../../src/tokenizers/train-wordpiece.js';
import { trainByteLevelBpe } from '../../../src/tokenizers/train-bpe.js';
import { saveTokenizer } from '../../../src/tokenizers/save.js';
import { loadTokenizer } from '../../../src/tokenizers/load.js';
import type { Tokenizer } from '../../../src/tokenizers/tokenizer.js';

const CORPUS = [
  'The quick brown fox jumps over the lazy dog.',
  'A quick brown dog outpaces a lazy fox!',
  "Don't count your chickens before they hatch.",
  'Tokenizers split text into tokens; tokens become ids.',
  'Numbers like 3.14159 and 2024 appear, and emoji 😀 too.',
  'Café, naïve, résumé: accents everywhere.',
  '你好，世界。这是一个测试。',
].flatMap((l) => Array.from({ length: 20 }, (_, i) => `${l} ${i % 3 === 0 ? 'again' : ''}`));

function sameIds(a: Tokenizer, b: Tokenizer, lines: string[]): void {
  for (const l of lines) assert.deepEqual(b.encode(l).inputIds, a.encode(l).inputIds, JSON.stringify(l));
}

test('trainWordPiece: special tokens first, ## pieces, tokenizer.json loads with identical ids', () => {
  const tok = trainWordPiece(CORPUS, { vocabSize: 200 });
  assert.equal(tok.vocabSize, 200);
  assert.ok(trainWordPiece(CORPUS, { vocabSize: 5000 }).vocabSize < 5000, 'stops when no pair occurs twice');
  assert.deepEqual(tok.convertIdsToTokens([0, 1, 2, 3, 4]), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.clsTokenId, 2);
  assert.ok(tok.tokenize('quick brown').every((t) => t === 'quick' || t === 'brown'), 'frequent words become single tokens');
  assert.ok(tok.tokenize('quickly').some((t) => t.startsWith('##')));
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-wp-'));
  saveTokenizer(tok, dir);
  const json = loadTokenizer(dir);
  assert.equal(json.kind, 'tokenizer.json');
  sameIds(tok, json, [...new Set(CORPUS)].concat(['unseen words here', 'QUICK Brown', 'Ünïcödé 你好']));
  sameIds(tok, loadTokenizer(dir, { legacy: true }), [...new Set(CORPUS)]);
  assert.equal(json.decode(json.encode('the quick brown fox.').inputIds, { skipSpecialTokens: true }), 'the quick brown fox.');
});

test('trainWordPiece with the WordPiece likelihood score', () => {
  const tok = trainWordPiece(CORPUS, { vocabSize: 250, score: 'wordpiece' });
  assert.ok(tok.vocabSize <= 250);
  assert.equal(tok.decode(tok.encode('the lazy dog').inputIds, { skipSpecialTokens: true }), 'the lazy dog');
});

test('trainByteLevelBpe: 256 bytes first, <|endoftext|> last, tokenizer.json loads with identical ids', () => {
  const tok = trainByteLevelBpe(CORPUS, { vocabSize: 400 });
  assert.equal(tok.vocabSize, 400);
  assert.equal(tok.idToToken(0), '!');
  assert.equal(tok.idToToken(255), 'Ń');
  assert.equal(tok.eosTokenId, 399);
  assert.equal(tok.idToToken(399), '<|endoftext|>');
  assert.ok(tok.tokenize(' quick').length === 1);
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-bpe-'));
  saveTokenizer(tok, dir);
  const json = loadTokenizer(dir);
  assert.equal(json.kind, 'tokenizer.json');
  const probes = [...new Set(CORPUS)].concat(['unseen wörds 🙃 here<|endoftext|>', '  spaces   and\ttabs\n', "IT'S SHOUTING"]);
  sameIds(tok, json, probes);
  sameIds(tok, loadTokenizer(dir, { legacy: true }), probes);
  for (const p of probes) assert.equal(json.decode(tok.encode(p).inputIds), p);
});

test('training an 8k vocabulary on ~1 MB of text is fast', (t) => {
  const p = needShared(t, 'data', 'text', 'tinyshakespeare.txt');
  if (!p) return;
  const lines = readFileSync(p, 'utf8').split('\n');
  let t0 = Date.now();
  const bpe = trainByteLevelBpe(lines, { vocabSize: 8000 });
  const bpeMs = Date.now() - t0;
  t0 = Date.now();
  const wp = trainWordPiece(lines, { vocabSize: 8000 });
  const wpMs = Date.now() - t0;
  assert.equal(bpe.vocabSize, 8000);
  assert.equal(wp.vocabSize, 8000);
  assert.ok(bpeMs < 20000 && wpMs < 20000, `bpe ${bpeMs} ms, wordpiece ${wpMs} ms`);
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-8k-'));
  saveTokenizer(bpe, dir);
  sameIds(bpe, loadTokenizer(dir), lines.slice(0, 500));
});
