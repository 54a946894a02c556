// Delimited text: CSV per RFC 4180 (quoted fields may hold delimiters, "" and line breaks; CRLF or LF),
// and TSV as GLUE writes it (one record per line, split on tabs, quotes taken literally).
import { dataError } from './read.js';

/** One record: its fields and the 1-based line it starts on. */
export interface Row {
  fields: string[];
  line: number;
}

/**
 * Parses CSV text (RFC 4180). A quote inside an unquoted field is kept literally; text after a closing
 * quote, or a quote never closed, is a DATA error naming the line. Blank lines are skipped.
 * @example parseCsv('a,b\n"x, y",1\n', 'f.csv') // [{fields:['a','b'],line:1},{fields:['x, y','1'],line:2}]
 */
export function parseCsv(text: string, file: string, delimiter = ','): Row[] {
  const rows: Row[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    // parse one record
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw dataError(file, startLine, 'unterminated quoted field (a " is never closed)');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const c = text[i];
        if (c !== undefined && c !== delimiter && c !== '\n' && !(c === '\r' && (text[i + 1] === '\n' || i + 1 === n))) {
          throw dataError(file, line, `unexpected character ${JSON.stringify(c)} after a closing quote (quote the whole field and double inner quotes)`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && text[i] !== '\n') i++;
        field = text.slice(start, i);
        if (field.endsWith('\r') && (i === n || text[i] === '\n')) field = field.slice(0, -1);
      }
      fields.push(field);
      if (i < n && text[i] === '\r') i++;
      if (i >= n) break;
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      // newline
      i++;
      line++;
      break;
    }
    if (fields.length === 1 && fields[0] === '') continue; // blank line
    rows.push({ fields, line: startLine });
  }
  return rows;
}

/** Parses TSV: one record per line, fields split on tabs (no quoting, as GLUE's files). Blank lines skipped. */
export function parseTsv(text: string): Row[] {
  const rows: Row[] = [];
  const parts = text.split('\n');
  for (let k = 0; k < parts.length; k++) {
    let t = parts[k]!;
    if (t.endsWith('\r')) t = t.slice(0, -1);
    if (t.trim() === '') continue;
    rows.push({ fields: t.split('\t'), line: k + 1 });
  }
  return rows;
}
