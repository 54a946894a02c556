// Training data readers: CSV (RFC 4180), TSV (GLUE, CRLF, label first), JSONL, `<label> <text>` lines,
// dialogues; header and column detection; the label set; and the errors that must name file, line and reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, parseTsv } from '../../../src/train/data/csv.js';
import { buildLabelSet, readRecords, type ReadRecordsOptions } from '../../../src/train/data/records.js';
import { isBertchatError } from '../../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'bertchat-data-'));
let n = 0;
function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}
const cls = (o: Partial<ReadRecordsOptions> = {}): ReadRecordsOptions => ({ objective: 'text-classification', format: 'auto', textColumn: null, textPairColumn: null, labelColumn: null, ...o });

function dataErr(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isBertchatError(e, 'DATA'), `expected a DATA error, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('parseCsv: quoted delimiters, doubled quotes, line breaks inside quotes, CRLF, blank lines', () => {
  const rows = parseCsv('text,label\r\n"a, b",1\r\n"say ""hi""",0\r\n\r\n"two\r\nlines",1\r\nplain,0', 'f.csv');
  assert.deepEqual(rows.map((r) => r.fields), [['text', 'label'], ['a, b', '1'], ['say "hi"', '0'], ['two\r\nlines', '1'], ['plain', '0']]);
  assert.deepEqual(rows.map((r) => r.line), [1, 2, 3, 5, 7]);
});

test('parseCsv: an unterminated quote and text after a closing quote fail with the line', () => {
  dataErr(() => parseCsv('a,b\n"open,1\n', 'x.csv'), /x\.csv:2: unterminated quoted field/);
  dataErr(() => parseCsv('a,b\n"q"x,1\n', 'x.csv'), /x\.csv:2: unexpected character "x" after a closing quote/);
});

test('parseTsv: GLUE style, quotes literal, CRLF stripped', () => {
  assert.deepEqual(parseTsv('label\tsentence\r\n0\tsay "hi\r\n').map((r) => r.fields), [['label', 'sentence'], ['0', 'say "hi']]);
});

test('TSV with label-first columns and CRLF (the SST-2 GLUE file layout): header detected, columns by name', () => {
  const p = file('glue.tsv', 'label\tsentence\r\n0\thide new secretions\r\n1\tcharming and affecting\r\n');
  const recs = readRecords(p, cls());
  assert.deepEqual(recs.map((r) => [r.text, r.label, r.line]), [['hide new secretions', '0', 2], ['charming and affecting', '1', 3]]);
});

test('CSV columns by index without a header; sentence pairs by name', () => {
  const p = file('noheader.csv', 'great movie,pos\nawful,neg\n');
  const recs = readRecords(p, cls({ textColumn: '0', labelColumn: '1' }));
  assert.deepEqual(recs.map((r) => [r.text, r.label]), [['great movie', 'pos'], ['awful', 'neg']]);
  const q = file('pairs.csv', 'premise,hypothesis,label\n"a man",a person,entail\nx,y,contra\n');
  const pr = readRecords(q, cls({ textColumn: 'premise', textPairColumn: 'hypothesis' }));
  assert.deepEqual(pr.map((r) => [r.text, r.pair, r.label]), [['a man', 'a person', 'entail'], ['x', 'y', 'contra']]);
});

test('no header, no column flags: the label column is the one with the fewest distinct values', () => {
  const p = file('guess.tsv', 'a long review text\t1\nanother one here\t0\nyet another\t1\n');
  assert.deepEqual(readRecords(p, cls()).map((r) => [r.text, r.label]), [['a long review text', '1'], ['another one here', '0'], ['yet another', '1']]);
});

test('JSONL with named keys; `<label> <text>` lines (stsa), fastText labels', () => {
  const p = file('d.jsonl', '{"text":"good","label":1}\n\n{"text":"bad","label":0}\n');
  assert.deepEqual(readRecords(p, cls()).map((r) => [r.text, r.label, r.line]), [['good', '1', 1], ['bad', '0', 3]]);
  const s = file('stsa.binary.dev', '0 one long string of cliches .\n1 a gorgeous film\n');
  assert.deepEqual(readRecords(s, cls()).map((r) => [r.text, r.label]), [['one long string of cliches .', '0'], ['a gorgeous film', '1']]);
  const f = file('ft.txt', '__label__pos nice\n__label__neg meh\n');
  assert.deepEqual(readRecords(f, cls()).map((r) => r.label), ['pos', 'neg']);
});

test('dialogues: JSONL messages and DailyDialog __eou__ lines', () => {
  const o = cls({ objective: 'causal-lm' });
  const j = file('chat.jsonl', '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');
  assert.deepEqual(readRecords(j, o)[0]!.messages, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }]);
  const d = file('dd.txt', 'Hi there . __eou__ Hello ! __eou__\n');
  assert.deepEqual(readRecords(d, o)[0]!.messages, [{ role: 'user', content: 'Hi there .' }, { role: 'assistant', content: 'Hello !' }]);
});

test('label set: sorted, numerically for integer labels', () => {
  const recs = (ls: string[]) => ls.map((label) => ({ file: 'f', line: 1, text: 't', pair: null, label, messages: null }));
  assert.deepEqual(buildLabelSet(recs(['pos', 'neg', 'pos', 'neutral'])), ['neg', 'neutral', 'pos']);
  assert.deepEqual(buildLabelSet(recs(['10', '2', '1'])), ['1', '2', '10']);
});

test('errors name file, line and reason: missing column, empty file, bad UTF-8, unparsable JSON, bad label-text line', () => {
  const m = file('m.csv', 'text,label\ngood,1\nonlytext\n');
  dataErr(() => readRecords(m, cls()), /m\.csv:3: missing column/);
  const h = file('h.csv', 'review,stars\ngood,1\n');
  dataErr(() => readRecords(h, cls({ textColumn: 'text' })), /h\.csv:1: missing column: text column "text" is not in the header/);
  const e = file('empty.tsv', '\n\n');
  dataErr(() => readRecords(e, cls()), /empty\.tsv: the file is empty/);
  const u = file('latin1.tsv', Buffer.concat([Buffer.from('label\tsentence\n1\tok\n0\tcaf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
  dataErr(() => readRecords(u, cls()), /latin1\.tsv:3: not valid UTF-8 \(byte 0xe9/);
  const j = file('bad.jsonl', '{"text":"a","label":1}\n{"text": "b", label: 0}\n');
  dataErr(() => readRecords(j, cls()), /bad\.jsonl:2: unparsable line: not valid JSON/);
  const k = file('nokey.jsonl', '{"text":"a","label":1}\n{"txt":"b","label":0}\n');
  dataErr(() => readRecords(k, cls()), /nokey\.jsonl:2: missing column/);
  const l = file('lt.txt', '0 fine\n1\n');
  dataErr(() => readRecords(l, cls()), /lt\.txt:2: unparsable line/);
});
