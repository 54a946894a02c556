// Turns a training file into records {text, pair, label} or dialogues, whatever its format: CSV, TSV, JSONL,
// `<label> <text>` lines (stsa/fastText style), plain text, or dialogues (JSONL messages or DailyDialog
// `__eou__` lines). Columns are names or 0-based indices; a header row is detected. Errors name file and line.
import { extname } from 'node:path';
import type { ChatMessage } from '../../tokenizers/types.js';
import type { DataFormat, Objective } from '../config.js';
import { parseCsv, parseTsv, type Row } from './csv.js';
import { dataError, readTextFile, splitLines } from './read.js';

export interface RawRecord {
  file: string;
  line: number;
  text: string;
  pair: string | null;
  label: string | null;
  messages: ChatMessage[] | null;
}

export interface ReadRecordsOptions {
  objective: Objective;
  format: DataFormat;
  textColumn: string | null;
  textPairColumn: string | null;
  labelColumn: string | null;
}

const TEXT_NAMES = ['text', 'sentence', 'sentence1', 'text_a', 'review', 'content', 'question', 'premise', 'document'];
const PAIR_NAMES = ['text_pair', 'sentence2', 'text_b', 'hypothesis'];
const LABEL_NAMES = ['label', 'labels', 'target', 'class', 'sentiment', 'category'];
const KNOWN = new Set([...TEXT_NAMES, ...PAIR_NAMES, ...LABEL_NAMES, 'idx', 'id', 'qid', 'messages']);

/** The format a file is read as: the given one, else from its extension and contents. */
export function detectFormat(file: string, text: string, opts: ReadRecordsOptions): Exclude<DataFormat, 'auto'> {
  if (opts.format !== 'auto') return opts.format;
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') {
    const first = text.slice(0, 2000);
    return opts.objective === 'causal-lm' && /"messages"\s*:/.test(first) ? 'dialogue' : 'jsonl';
  }
  if (opts.objective === 'text-classification' || looksLabelFirst(text)) return 'label-text';
  if (opts.objective === 'causal-lm' && text.slice(0, 20000).includes('__eou__')) return 'dialogue';
  return 'text';
}

/** `<int label> <text>` or `__label__x <text>` on every one of the first lines (stsa, fastText files). */
function looksLabelFirst(text: string): boolean {
  const lines = text.slice(0, 50000).split('\n').slice(0, 200).filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  return lines.every((l) => /^(-?\d+|__label__\S+)[ \t]+\S/.test(l));
}

const isIndex = (s: string): boolean => /^\d+$/.test(s);

interface Columns {
  text: number;
  pair: number | null;
  label: number | null;
  names: string[];
}

function resolveColumns(rows: Row[], file: string, opts: ReadRecordsOptions): { cols: Columns; body: Row[] } {
  const first = rows[0]!;
  const specs = [opts.textColumn, opts.textPairColumn, opts.labelColumn];
  const byName = specs.some((s) => s !== null && !isIndex(s));
  const header = byName || first.fields.some((f) => KNOWN.has(f.trim().toLowerCase()));
  const names = header ? first.fields.map((f) => f.trim()) : first.fields.map((_, i) => String(i));
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw dataError(file, first.line, 'the file has a header but no data rows');
  const find = (spec: string | null, role: string): number | null => {
    if (spec === null) return null;
    if (isIndex(spec)) {
      const i = Number(spec);
      if (i >= first.fields.length) throw dataError(file, first.line, `missing column: ${role} column ${i} (0-based) does not exist, the row has ${first.fields.length} fields`);
      return i;
    }
    const i = names.findIndex((n) => n === spec);
    if (i < 0) throw dataError(file, first.line, `missing column: ${role} column "${spec}" is not in the header (${names.map((n) => JSON.stringify(n)).join(', ')})`);
    return i;
  };
  const byKnown = (list: string[]): number | null => {
    if (!header) return null;
    for (const k of list) {
      const i = names.findIndex((n) => n.toLowerCase() === k);
      if (i >= 0) return i;
    }
    return null;
  };
  const wantLabel = opts.objective === 'text-classification';
  let text = find(opts.textColumn, 'text');
  let pair = find(opts.textPairColumn, 'text pair');
  let label = wantLabel ? find(opts.labelColumn, 'label') : null;
  if (wantLabel && label === null) label = byKnown(LABEL_NAMES);
  if (text === null) text = byKnown(TEXT_NAMES);
  if (pair === null && opts.textPairColumn === null && header) pair = byKnown(PAIR_NAMES);
  if (!header && (text === null || (wantLabel && label === null))) {
    // no header: the label column has the fewest distinct values, the text column the longest values
    const sample = body.slice(0, 2000);
    const width = first.fields.length;
    const distinct = Array.from({ length: width }, (_, c) => new Set(sample.map((r) => r.fields[c])).size);
    const avgLen = Array.from({ length: width }, (_, c) => sample.reduce((s, r) => s + (r.fields[c]?.length ?? 0), 0));
    if (wantLabel && label === null) {
      if (width < 2) throw dataError(file, first.line, 'missing column: no label column (the rows have one field); pass --label-column or use `<label> <text>` lines with --format label-text');
      label = distinct.indexOf(Math.min(...distinct.filter((_, c) => c !== text)));
    }
    if (text === null) {
      let best = -1;
      for (let c = 0; c < width; c++) if (c !== label && c !== pair && (best < 0 || avgLen[c]! > avgLen[best]!)) best = c;
      text = best;
    }
  }
  if (text === null || text < 0) {
    throw dataError(file, first.line, `missing column: no text column found (header: ${names.map((n) => JSON.stringify(n)).join(', ')}); pass --text-column`);
  }
  if (wantLabel && label === null) {
    throw dataError(file, first.line, `missing column: no label column found (header: ${names.map((n) => JSON.stringify(n)).join(', ')}); pass --label-column`);
  }
  return { cols: { text, pair, label, names }, body };
}

function fromRows(rows: Row[], file: string, opts: ReadRecordsOptions): RawRecord[] {
  if (rows.length === 0) throw dataError(file, null, 'the file has no rows');
  const { cols, body } = resolveColumns(rows, file, opts);
  const need = Math.max(cols.text, cols.pair ?? -1, cols.label ?? -1);
  return body.map((r) => {
    if (r.fields.length <= need) {
      const role = need === cols.label ? 'label' : need === cols.pair ? 'text pair' : 'text';
      throw dataError(file, r.line, `missing column: the row has ${r.fields.length} field(s), the ${role} column "${cols.names[need] ?? need}" is field ${need + 1}`);
    }
    const label = cols.label !== null ? r.fields[cols.label]!.trim() : null;
    if (label === '') throw dataError(file, r.line, `empty label in column "${cols.names[cols.label!]}"`);
    return { file, line: r.line, text: r.fields[cols.text]!, pair: cols.pair !== null ? r.fields[cols.pair]! : null, label, messages: null };
  });
}

function fromJsonl(text: string, file: string, opts: ReadRecordsOptions, dialogue: boolean): RawRecord[] {
  const out: RawRecord[] = [];
  for (const spec of [opts.textColumn, opts.textPairColumn, opts.labelColumn]) {
    if (spec !== null && isIndex(spec)) throw dataError(file, null, `JSONL columns are keys, not indices (got ${spec})`);
  }
  for (const { text: t, line } of splitLines(text)) {
    if (t.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (err) {
      throw dataError(file, line, `unparsable line: not valid JSON (${(err as Error).message})`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw dataError(file, line, 'unparsable line: expected a JSON object');
    const o = obj as Record<string, unknown>;
    if (dialogue) {
      const m = o['messages'];
      if (!Array.isArray(m) || m.some((x) => x === null || typeof x !== 'object' || typeof (x as ChatMessage).role !== 'string' || typeof (x as ChatMessage).content !== 'string')) {
        throw dataError(file, line, 'missing column: "messages" must be a list of {role, content} objects with string values');
      }
      out.push({ file, line, text: '', pair: null, label: null, messages: m as ChatMessage[] });
      continue;
    }
    const key = (spec: string | null, known: string[], role: string, required: boolean): string | null => {
      if (spec !== null) {
        if (!(spec in o)) throw dataError(file, line, `missing column: key "${spec}" (${role}) is not in the object (keys: ${Object.keys(o).join(', ')})`);
        return spec;
      }
      const k = known.find((n) => n in o) ?? null;
      if (k === null && required) throw dataError(file, line, `missing column: no ${role} key (looked for ${known.join(', ')}; keys: ${Object.keys(o).join(', ')}); pass --${role.replace(' ', '-')}-column`);
      return k;
    };
    const tk = key(opts.textColumn, TEXT_NAMES, 'text', true)!;
    const pk = opts.textPairColumn !== null ? key(opts.textPairColumn, PAIR_NAMES, 'text pair', true) : null;
    const lk = opts.objective === 'text-classification' ? key(opts.labelColumn, LABEL_NAMES, 'label', true) : null;
    const str = (k: string, role: string): string => {
      const v = o[k];
      if (typeof v !== 'string') throw dataError(file, line, `${role} "${k}" must be a string, got ${JSON.stringify(v)}`);
      return v;
    };
    let label: string | null = null;
    if (lk !== null) {
      const v = o[lk];
      if (typeof v === 'number' || typeof v === 'boolean') label = String(v);
      else if (typeof v === 'string' && v.trim() !== '') label = v.trim();
      else throw dataError(file, line, `label "${lk}" must be a string or a number, got ${JSON.stringify(v)}`);
    }
    out.push({ file, line, text: str(tk, 'text'), pair: pk !== null ? str(pk, 'text pair') : null, label, messages: null });
  }
  return out;
}

function fromLabelText(text: string, file: string): RawRecord[] {
  const out: RawRecord[] = [];
  for (const { text: t, line } of splitLines(text)) {
    if (t.trim() === '') continue;
    const m = /^\s*(\S+)\s+(.*)$/.exec(t);
    if (!m || m[2]!.trim() === '') throw dataError(file, line, 'unparsable line: expected `<label> <text>`');
    out.push({ file, line, text: m[2]!, pair: null, label: m[1]!.replace(/^__label__/, ''), messages: null });
  }
  return out;
}

/** DailyDialog lines: utterances separated by `__eou__`, alternating user / assistant. */
function fromEouLines(text: string, file: string): RawRecord[] {
  const out: RawRecord[] = [];
  for (const { text: t, line } of splitLines(text)) {
    if (t.trim() === '') continue;
    const turns = t.split('__eou__').map((s) => s.trim()).filter((s) => s !== '');
    if (turns.length === 0) throw dataError(file, line, 'unparsable line: a dialogue with no utterances');
    const messages = turns.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content }));
    out.push({ file, line, text: '', pair: null, label: null, messages });
  }
  return out;
}

/**
 * Reads one training/validation file into records.
 * @example readRecords('sst2/stsa.binary.train', { objective: 'text-classification', format: 'auto', textColumn: null, textPairColumn: null, labelColumn: null })
 */
export function readRecords(file: string, opts: ReadRecordsOptions): RawRecord[] {
  const text = readTextFile(file);
  const format = detectFormat(file, text, opts);
  let recs: RawRecord[];
  switch (format) {
    case 'csv': recs = fromRows(parseCsv(text, file), file, opts); break;
    case 'tsv': recs = fromRows(parseTsv(text), file, opts); break;
    case 'jsonl': recs = fromJsonl(text, file, opts, false); break;
    case 'label-text': recs = fromLabelText(text, file); break;
    case 'dialogue':
      recs = /\.(jsonl|ndjson|json)$/i.test(file) ? fromJsonl(text, file, opts, true) : fromEouLines(text, file);
      break;
    default:
      recs = splitLines(text).filter((l) => l.text.trim() !== '').map((l) => ({ file, line: l.line, text: l.text, pair: null, label: null, messages: null }));
  }
  if (recs.length === 0) throw dataError(file, null, 'the file has no examples');
  if (opts.objective === 'text-classification' && recs.some((r) => r.label === null)) {
    throw dataError(file, null, `missing column: format ${format} gives no labels; text-classification needs a label column`);
  }
  return recs;
}

/** Sorted label set: numerically when every label is an integer, else by string. */
export function buildLabelSet(records: RawRecord[]): string[] {
  const set = [...new Set(records.map((r) => r.label!))];
  const numeric = set.every((l) => /^-?\d+$/.test(l));
  return numeric ? set.sort((a, b) => Number(a) - Number(b)) : set.sort();
}
