// loadTokenizer / saveTokenizer: HF folder layouts, tokenizer.json through @huggingface/tokenizers,
// save → load giving identical ids, chat_template forms, and errors naming the bad file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallBert, smallGpt2 } from './fixtures.js';
import { loadTokenizer } from '../../../src/tokenizers/load.js';
import { saveTokenizer } from '../../../src/tokenizers/save.js';
import { JsonTokenizer } from '../../../src/tokenizers/hf-json.js';
import { isBertchatError } from '../../../src/util/errors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'bertchat-tok-'));
const TEXTS = ['Hello world!', 'the cat sat on the mat.', "don't stop playing", '你好 world', '', 'hello world<|endoftext|> hello', 'x  y\n\tz'];

test('BERT: save → load (vocab.txt and tokenizer.json) gives identical ids, pairs and decode', () => {
  const tok = smallBert({ model_max_length: 32, padding_side: 'left' });
  const dir = tmp();
  const files = saveTokenizer(tok, dir);
  assert.deepEqual(files.sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  const viaJson = loadTokenizer(dir);
  const viaVocab = loadTokenizer(dir, { legacy: true });
  assert.equal(viaJson.kind, 'tokenizer.json');
  assert.equal(viaVocab.kind, 'wordpiece');
  for (const t of [viaJson, viaVocab]) {
    assert.equal(t.modelMaxLength, 32);
    assert.equal(t.paddingSide, 'left');
    assert.equal(t.padTokenId, 0);
    assert.equal(t.vocabSize, tok.vocabSize);
    for (const text of TEXTS) {
      assert.deepEqual(t.encode(text), tok.encode(text), `${t.kind}: ${JSON.stringify(text)}`);
      assert.deepEqual(t.encode(text, { textPair: 'hello cat' }), tok.encode(text, { textPair: 'hello cat' }));
      const ids = tok.encode(text).inputIds;
      assert.equal(t.decode(ids, { skipSpecialTokens: true }), tok.decode(ids, { skipSpecialTokens: true }));
    }
    assert.deepEqual(t.encodeBatch(TEXTS, { padding: true }), tok.encodeBatch(TEXTS, { padding: true }));
  }
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg['tokenizer_class'], 'BertTokenizer');
  assert.equal(cfg['do_lower_case'], true);
  assert.equal(readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n').length, tok.vocabSize + 1);
});

test('GPT-2 BPE: save → load (vocab.json + merges.txt and tokenizer.json) gives identical ids and decode', () => {
  const tok = smallGpt2({ chat_template: [{ name: 'default', template: '{{ messages[0].content }}' }] });
  const dir = tmp();
  saveTokenizer(tok, dir);
  assert.ok(existsSync(join(dir, 'merges.txt')) && existsSync(join(dir, 'vocab.json')));
  assert.ok(readFileSync(join(dir, 'merges.txt'), 'utf8').startsWith('#version: 0.2\nĠ w\n'));
  for (const t of [loadTokenizer(dir), loadTokenizer(dir, { legacy: true })]) {
    assert.equal(t.chatTemplate, '{{ messages[0].content }}');
    assert.equal(t.eosTokenId, tok.eosTokenId);
    for (const text of [...TEXTS, 'emoji 😀 and 你好', "it's 3.14"]) {
      const ids = tok.encode(text).inputIds;
      assert.deepEqual(t.encode(text).inputIds, ids, `${t.kind}: ${JSON.stringify(text)}`);
      assert.equal(t.decode(ids), text);
    }
    assert.deepEqual(t.encode('hello', { textPair: ' world' }).inputIds, tok.encode('hello', { textPair: ' world' }).inputIds);
  }
});

test('a tokenizer.json loaded through @huggingface/tokenizers saves back unchanged', () => {
  const dir = tmp();
  saveTokenizer(smallBert(), dir, { legacy: false });
  const a = loadTokenizer(dir);
  assert.ok(a instanceof JsonTokenizer);
  const out = tmp();
  saveTokenizer(a, out);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
  assert.deepEqual(loadTokenizer(out).encode('hello world').inputIds, [2, 5, 6, 3]);
});

test('special_tokens_map.json {content} objects, chat_template.jinja and model_max_length sentinel are read', () => {
  const dir = tmp();
  saveTokenizer(smallBert(), dir, { tokenizerJson: false });
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 1e30, pad_token: null }));
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: { content: '[PAD]', lstrip: false }, mask_token: { content: '[MASK]' } }));
  writeFileSync(join(dir, 'chat_template.jinja'), '{{ messages | length }}');
  const t = loadTokenizer(dir);
  assert.equal(t.padTokenId, 0);
  assert.equal(t.maskTokenId, 4);
  assert.equal(t.modelMaxLength, null);
  assert.equal(t.chatTemplate, '{{ messages | length }}');
});

test('bad tokenizer folders give NOT_FOUND / TOKENIZER errors naming the file', () => {
  const missing = join(tmp(), 'nope');
  assert.throws(() => loadTokenizer(missing), (e) => isBertchatError(e, 'NOT_FOUND') && e.message.includes(missing));
  const empty = tmp();
  assert.throws(() => loadTokenizer(empty), (e) => isBertchatError(e, 'NOT_FOUND') && /vocab\.txt/.test(e.message));

  const badJson = tmp();
  writeFileSync(join(badJson, 'tokenizer.json'), '{"model": {"type": "BPE", "vocab": ');
  assert.throws(() => loadTokenizer(badJson), (e) => isBertchatError(e, 'TOKENIZER') && e.message.includes(join(badJson, 'tokenizer.json')));
  const noModel = tmp();
  writeFileSync(join(noModel, 'tokenizer.json'), '{"version": "1.0"}');
  assert.throws(() => loadTokenizer(noModel), (e) => isBertchatError(e, 'TOKENIZER') && /model/.test(e.message));
  const badModel = tmp();
  writeFileSync(join(badModel, 'tokenizer.json'), '{"model": {"type": "Nonsense"}, "added_tokens": []}');
  assert.throws(() => loadTokenizer(badModel), (e) => isBertchatError(e, 'TOKENIZER') && e.message.includes('tokenizer.json'));

  const arr = tmp();
  writeFileSync(join(arr, 'vocab.json'), '["a", "b"]');
  writeFileSync(join(arr, 'merges.txt'), '#version: 0.2\n');
  assert.throws(() => loadTokenizer(arr), (e) => isBertchatError(e, 'TOKENIZER') && e.message.includes(join(arr, 'vocab.json')));
  const badId = tmp();
  writeFileSync(join(badId, 'vocab.json'), '{"a": "zero"}');
  writeFileSync(join(badId, 'merges.txt'), '#version: 0.2\n');
  assert.throws(() => loadTokenizer(badId), (e) => isBertchatError(e, 'TOKENIZER') && /"a"/.test(e.message));
  const noMerges = tmp();
  writeFileSync(join(noMerges, 'vocab.json'), '{"a": 0}');
  assert.throws(() => loadTokenizer(noMerges), (e) => isBertchatError(e, 'NOT_FOUND') && /merges\.txt/.test(e.message));
  const badMerges = tmp();
  writeFileSync(join(badMerges, 'vocab.json'), '{"a": 0}');
  writeFileSync(join(badMerges, 'merges.txt'), '#version: 0.2\na b c\n');
  assert.throws(() => loadTokenizer(badMerges), (e) => isBertchatError(e, 'TOKENIZER') && /merges\.txt:2/.test(e.message));
  const badCfg = tmp();
  writeFileSync(join(badCfg, 'vocab.txt'), '[UNK]\n');
  writeFileSync(join(badCfg, 'tokenizer_config.json'), '{oops');
  assert.throws(() => loadTokenizer(badCfg), (e) => isBertchatError(e, 'TOKENIZER') && e.message.includes('tokenizer_config.json'));
  const sub = join(tmp(), 'a');
  mkdirSync(sub);
  writeFileSync(join(sub, 'added_tokens.json'), '{}');
  assert.throws(() => loadTokenizer(sub), (e) => isBertchatError(e, 'NOT_FOUND'));
});

test('merges.txt without a trailing newline keeps its last merge; vocab.txt splits on \\n only', () => {
  const dir = tmp();
  saveTokenizer(smallGpt2(), dir, { tokenizerJson: false });
  const m = readFileSync(join(dir, 'merges.txt'), 'utf8');
  writeFileSync(join(dir, 'merges.txt'), m.trimEnd());
  assert.deepEqual(loadTokenizer(dir).tokenize('hello'), ['hello']);
  const bdir = tmp();
  writeFileSync(join(bdir, 'vocab.txt'), '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n\u2028\na\r\n');
  const b = loadTokenizer(bdir);
  assert.equal(b.vocabSize, 7);
  assert.equal(b.tokenToId('\u2028'), 5);
  assert.equal(b.tokenToId('a'), 6);
});
