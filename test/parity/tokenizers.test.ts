// Parity of the WordPiece and byte-level BPE tokenizers with HF slow tokenizers, over the 63 golden strings
// in ../shared/golden/tokenizers (tokens, ids, ids with special tokens, GPT-2 regex pieces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { BertTokenizer } from '../../src/tokenizers/wordpiece.js';
import { GPT2Tokenizer } from '../../src/tokenizers/bpe.js';
import { parseTokenizerSettings } from '../../src/tokenizers/config.js';
import { loadTokenizer } from '../../src/tokenizers/load.js';
import { JsonTokenizer } from '../../src/tokenizers/hf-json.js';
import { byteLevelBpeTokenizerJson, wordPieceTokenizerJson } from '../../src/tokenizers/tokenizer-json.js';


interface Case {
  name: string;
  text: string;
  tokens: string[];
  ids: number[];
  ids_with_special?: number[];
  pretokens?: string[];
}
interface Golden {
  vocab: string;
  merges?: string;
  settings: Record<string, unknown>;
  cases: Case[];
}

/** Golden paths are relative to golden/tokenizers (tiny models) or to golden/ (`../data/vocab/*`). */
function goldenFile(goldenJson: string, rel: string): string {
  const a = resolve(dirname(goldenJson), rel);
  return existsSync(a) ? a : resolve(dirname(goldenJson), '..', rel);
}

function readGolden(path: string): Golden {
  return JSON.parse(readFileSync(path, 'utf8')) as Golden;
}

for (const name of ['bert-base-uncased', 'bert-base-chinese', 'bert-tiny-random']) {
  test(`BertTokenizer parity: ${name}`, (t) => {
    const p = needShared(t, 'golden', 'tokenizers', `${name}.json`);
    if (!p) return;
    const g = readGolden(p);
    const s = g.settings;
    const settings = parseTokenizerSettings({
      do_lower_case: s['do_lower_case'],
      strip_accents: s['strip_accents'],
      tokenize_chinese_chars: s['tokenize_chinese_chars'],
      unk_token: s['unk_token'],
    });
    const tok = BertTokenizer.fromVocabFile(goldenFile(p, g.vocab), settings);
    for (const c of g.cases) {
      assert.deepEqual(tok.tokenize(c.text), c.tokens, `${name}/${c.name}: tokens`);
      assert.deepEqual(tok.convertTokensToIds(c.tokens), c.ids, `${name}/${c.name}: ids`);
      assert.deepEqual(tok.encode(c.text).inputIds, c.ids_with_special, `${name}/${c.name}: ids_with_special`);
    }
  });
}

for (const name of ['gpt2', 'gpt2-tiny-random']) {
  test(`GPT2Tokenizer parity: ${name}`, (t) => {
    const p = needShared(t, 'golden', 'tokenizers', `${name}.json`);
    if (!p) return;
    const g = readGolden(p);
    const settings = parseTokenizerSettings({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' });
    const tok = GPT2Tokenizer.fromFiles(goldenFile(p, g.vocab), goldenFile(p, g.merges!), settings);
    for (const c of g.cases) {
      assert.deepEqual(tok.preTokenize(c.text), c.pretokens, `${name}/${c.name}: pretokens`);
      assert.deepEqual(tok.tokenize(c.text), c.tokens, `${name}/${c.name}: tokens`);
      assert.deepEqual(tok.encode(c.text).inputIds, c.ids, `${name}/${c.name}: ids`);
      assert.equal(tok.decode(c.ids), c.text, `${name}/${c.name}: decode round trip`);
    }
  });
}


test('loadTokenizer on the tiny golden model folders matches the goldens', (t) => {
  const bertDir = needShared(t, 'golden', 'bert-tiny-random');
  const gptDir = needShared(t, 'golden', 'gpt2-tiny-random');
  const bg = needShared(t, 'golden', 'tokenizers', 'bert-tiny-random.json');
  const gg = needShared(t, 'golden', 'tokenizers', 'gpt2-tiny-random.json');
  if (!bertDir || !gptDir || !bg || !gg) return;
  const bert = loadTokenizer(bertDir);
  assert.equal(bert.kind, 'wordpiece');
  assert.equal(bert.modelMaxLength, 64);
  for (const c of readGolden(bg).cases) {
    const ids = c.ids_with_special!;
    // model_max_length is 64 here, so long cases are checked without truncation.
    assert.deepEqual(bert.encode(c.text).inputIds, ids, c.name);
  }
  const gpt = loadTokenizer(gptDir);
  assert.equal(gpt.kind, 'bpe');
  assert.equal(gpt.eosTokenId, 299);
  assert.equal(gpt.padTokenId, null);
  for (const c of readGolden(gg).cases) assert.deepEqual(gpt.encode(c.text).inputIds, c.ids, c.name);
});

test('the golden vocabularies survive tokenizer.json: @huggingface/tokenizers gives the same ids on ordinary text', (t) => {
  const p = needShared(t, 'golden', 'tokenizers', 'gpt2.json');
  const b = needShared(t, 'golden', 'tokenizers', 'bert-base-uncased.json');
  if (!p || !b) return;
  // Cases where fast and slow tokenizers are known to agree (no control characters / exotic whitespace).
  const ordinary = new Set(['hello', 'punct', 'contractions', 'numbers', 'url', 'email', 'code', 'accents', 'chinese', 'long_repeated_text', 'gpt2_endoftext', 'bert_special_tokens']);
  const gg = readGolden(p);
  const gpt = GPT2Tokenizer.fromFiles(goldenFile(p, gg.vocab), goldenFile(p, gg.merges!), parseTokenizerSettings({ eos_token: '<|endoftext|>' }));
  const gjson = new JsonTokenizer(byteLevelBpeTokenizerJson(gpt), gpt.settings);
  for (const c of gg.cases) if (ordinary.has(c.name)) assert.deepEqual(gjson.encode(c.text).inputIds, c.ids, `gpt2 json/${c.name}`);
  const bg = readGolden(b);
  const bert = BertTokenizer.fromVocabFile(goldenFile(b, bg.vocab), parseTokenizerSettings({}));
  const bjson = new JsonTokenizer(wordPieceTokenizerJson(bert), bert.settings);
  for (const c of bg.cases) if (ordinary.has(c.name)) assert.deepEqual(bjson.encode(c.text).inputIds, c.ids_with_special, `bert json/${c.name}`);
});
