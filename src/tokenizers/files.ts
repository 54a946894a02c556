// Small file helpers for tokenizer folders: read text/JSON with errors that name the file, and atomic writes.
// Not a general IO layer (src/io owns safetensors and config.json); tokenizers only need these few.
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { BertchatError } from '../util/errors.js';

/** Reads a UTF-8 text file; throws NOT_FOUND naming the file when it does not exist. */
export function readTextFile(path: string, what = 'tokenizer file'): string {
  if (!existsSync(path)) throw new BertchatError('NOT_FOUND', `${what} not found: ${path}`, { file: path });
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BertchatError('TOKENIZER', `cannot read ${what} ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

/** Reads and parses a JSON file; throws TOKENIZER naming the file when it is not valid JSON. */
export function readJsonFile(path: string, what = 'tokenizer file'): unknown {
  const text = readTextFile(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BertchatError('TOKENIZER', `malformed JSON in ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

/** Reads a JSON file that must hold an object (e.g. vocab.json, tokenizer_config.json). */
export function readJsonObject(path: string, what = 'tokenizer file'): Record<string, unknown> {
  const v = readJsonFile(path, what);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new BertchatError('TOKENIZER', `${path}: expected a JSON object at the top level`, { file: path });
  }
  return v as Record<string, unknown>;
}

/** Like readJsonObject but returns null when the file does not exist. */
export function readOptionalJsonObject(path: string): Record<string, unknown> | null {
  return existsSync(path) ? readJsonObject(path) : null;
}

/** Writes a file atomically: a temporary file next to it, then rename over the target. */
export function atomicWriteFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      if (existsSync(tmp)) unlinkSync(tmp);
    } catch {
      /* ignore cleanup failure */
    }
    throw new BertchatError('IO', `cannot write ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}
