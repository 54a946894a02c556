// Reading training files: strict UTF-8 (a bad byte fails naming file and line), BOM stripped, CRLF tolerated,
// empty files refused. Every data error is a BertchatError('DATA') naming the file and, where known, the line.
import { readFileSync } from 'node:fs';
import { BertchatError } from '../../util/errors.js';

/** A DATA error naming file and line: `train.csv:12: reason`. */
export function dataError(file: string, line: number | null, reason: string): BertchatError {
  return new BertchatError('DATA', `${file}${line !== null ? `:${line}` : ''}: ${reason}`, { file, line, reason });
}

/** The 1-based line holding byte `offset` of `bytes`. */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += len;
  }
  return -1;
}

/** Decodes UTF-8 strictly; on a bad byte, the error names its line and column. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const bad = firstInvalidUtf8(bytes);
    if (bad < 0) throw dataError(file, null, 'not valid UTF-8');
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    throw dataError(file, lineOfByte(bytes, bad), `not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at byte ${bad - lineStart + 1} of the line); convert the file to UTF-8`);
  }
}

/** Reads a text file strictly (UTF-8, not empty). */
export function readTextFile(file: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BertchatError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot read ${file}: ${e.message}`, { file }, { cause: err });
  }
  const text = decodeUtf8(bytes, file);
  if (text.trim() === '') throw dataError(file, null, 'the file is empty');
  return text;
}

/** A line of a file with its 1-based number (CR of CRLF removed). */
export interface Line {
  text: string;
  line: number;
}

/** Splits text into lines (LF or CRLF); the empty piece after a final newline is dropped. */
export function splitLines(text: string): Line[] {
  const parts = text.split('\n');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((t, i) => ({ text: t.endsWith('\r') ? t.slice(0, -1) : t, line: i + 1 }));
}
