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

/** Decodes UTF-8 strictly; on a bad byte, finds its line and column for the error. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    // bisect on line starts: decode line by line until one fails
    let start = 0;
    const dec = new TextDecoder('utf-8', { fatal: true });
    while (start <= bytes.length) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        dec.decode(bytes.subarray(start, end));
      } catch {
        const line = lineOfByte(bytes, start);
        let bad = start;
        for (; bad < end; bad++) {
          try {
            dec.decode(bytes.subarray(start, bad + 1), { stream: true });
          } catch {
            break;
          }
        }
        throw dataError(file, line, `not valid UTF-8 (byte 0x${(bytes[Math.min(bad, end - 1)] ?? 0).toString(16).padStart(2, '0')} at byte ${bad - start + 1} of the line); convert the file to UTF-8`);
      }
      start = end + 1;
    }
    throw dataError(file, null, 'not valid UTF-8');
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
