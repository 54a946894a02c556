// Parses and validates the (untrusted) JSON header of a safetensors file. Pure: no file access.
// Every problem is a BertchatError('SAFETENSORS') naming the file and, where there is one, the tensor.
import { BertchatError } from '../util/errors.js';
import { DTYPE_SIZE, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';

/** Largest header accepted, like the safetensors library (100 MB). */
export const MAX_HEADER_SIZE = 100_000_000;

/** One validated header entry; offsets are relative to the start of the data section. */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Byte length N of the JSON header (the data section starts at 8 + N). */
  headerLength: number;
  /** Entries sorted by offset (file order). */
  entries: HeaderEntry[];
  metadata: Record<string, string> | null;
}

function fail(file: string, msg: string, tensor?: string): never {
  const where = tensor === undefined ? file : `${file}, tensor "${tensor}"`;
  throw new BertchatError('SAFETENSORS', `invalid safetensors file ${where}: ${msg}`, tensor === undefined ? { file } : { file, tensor });
}

/** Short, printable rendering of an untrusted value for messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Reads the 8-byte little-endian header length from `prefix` and checks it against the file size.
 * Returns N (the JSON header's byte length).
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.length < 8) fail(file, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) fail(file, `header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  const len = Number(n);
  if (8 + len > fileSize) fail(file, `header length ${len} runs past the end of the file (${fileSize} bytes)`);
  if (len < 2) fail(file, `header length ${len} is too small for a JSON object`);
  return len;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Validates a full header: `prefix` holds at least the first 8 + N bytes of the file, whose total size is `fileSize`.
 *
 * @example
 * const h = parseHeader(buf, buf.length, 'model.safetensors');
 * h.entries[0]; // { name: 'lm_head.weight', dtype: 'F32', shape: [300, 32], begin: 0, end: 38400 }
 */
export function parseHeader(prefix: Uint8Array, fileSize: number, file: string): ParsedHeader {
  const n = readHeaderLength(prefix, fileSize, file);
  if (prefix.length < 8 + n) fail(file, `header truncated: need ${8 + n} bytes, have ${prefix.length}`);
  const dataLength = fileSize - 8 - n;

  let text: string;
  try {
    text = utf8.decode(prefix.subarray(8, 8 + n));
  } catch {
    fail(file, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail(file, `header is not valid JSON (${(err as Error).message.slice(0, 80)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(file, `header must be a JSON object, got ${Array.isArray(json) ? 'an array' : show(json)}`);
  }

  let metadata: Record<string, string> | null = null;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, file);
      continue;
    }
    entries.push(parseEntry(name, raw, dataLength, file));
  }

  // The data section must be covered exactly: sorted by offset, each tensor starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: HeaderEntry | null = null;
  for (const e of entries) {
    if (e.begin < pos) fail(file, `data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev!.name}" (which ends at ${pos})`, e.name);
    if (e.begin > pos) fail(file, `hole in the data section: bytes ${pos}..${e.begin} belong to no tensor`, e.name);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) {
    fail(file, `the tensors cover ${pos} bytes but the data section has ${dataLength} (${dataLength - pos} trailing bytes)`);
  }
  return { headerLength: n, entries, metadata };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> | null {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(file, `__metadata__ must be an object of strings, got ${show(raw)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(file, `__metadata__["${k}"] must be a string, got ${show(v)}`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, raw: unknown, dataLength: number, file: string): HeaderEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, `entry must be an object, got ${show(raw)}`, name);
  const r = raw as Record<string, unknown>;
  const { dtype, shape, data_offsets: offs } = r;
  if (!isSafetensorsDtype(dtype)) fail(file, `unknown dtype ${show(dtype)}`, name);
  if (!Array.isArray(shape)) fail(file, `shape must be an array, got ${show(shape)}`, name);
  if (shape.length > 64) fail(file, `shape has ${shape.length} dimensions (more than 64)`, name);
  for (const d of shape) if (!isIndex(d)) fail(file, `shape ${show(shape)} has an entry that is not a non-negative integer`, name);
  if (!Array.isArray(offs) || offs.length !== 2 || !isIndex(offs[0]) || !isIndex(offs[1])) {
    fail(file, `data_offsets must be [begin, end] non-negative integers, got ${show(offs)}`, name);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end) fail(file, `data_offsets [${begin}, ${end}] end before they begin`, name);
  if (end > dataLength) fail(file, `data_offsets [${begin}, ${end}] run past the data section (${dataLength} bytes)`, name);

  // Number of bytes implied by the shape, without overflow: stop as soon as it exceeds the data section.
  const size = DTYPE_SIZE[dtype];
  let bytes = size;
  if ((shape as number[]).includes(0)) bytes = 0;
  else {
    for (const d of shape as number[]) {
      bytes *= d;
      if (bytes > dataLength) fail(file, `shape ${show(shape)} x ${dtype} needs more bytes than the data section holds (${dataLength})`, name);
    }
  }
  if (bytes !== end - begin) {
    fail(file, `shape ${show(shape)} with dtype ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`, name);
  }
  return { name, dtype, shape: (shape as number[]).slice(), begin, end };
}
