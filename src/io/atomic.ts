// Atomic file writes: write `<path>.tmp-<pid>-<rand>`, fsync, rename over the target, fsync the folder.
// A reader sees the old file or the new one, never a half-written one. Every bertchat writer uses this.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BertchatError } from '../util/errors.js';

/** What writeFileAtomic accepts: a string (UTF-8), bytes, or a sequence of byte chunks written in order. */
export type AtomicData = string | ArrayBufferView | Iterable<ArrayBufferView>;

function toBytes(v: ArrayBufferView): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    // writeSync may write less than asked (and refuses > 2 GiB at once): loop in 1 GiB pieces
    const n = Math.min(bytes.length - off, 1 << 30);
    off += writeSync(fd, bytes, off, n);
  }
}

/** A unique temporary name next to `path` (same folder, so the rename stays on one file system). */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder is written, fsynced
 * and renamed over `path`; on any error the temporary file is removed and `path` is untouched.
 * Missing parent folders are created.
 *
 * @example
 * writeFileAtomic('out/config.json', JSON.stringify(cfg, null, 2) + '\n');
 * writeFileAtomic('out/model.safetensors', [headerBytes, tensorBytes1, tensorBytes2]);
 */
export function writeFileAtomic(path: string, data: AtomicData): void {
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  let fd: number | null = null;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'wx', 0o644);
    if (typeof data === 'string') writeAll(fd, Buffer.from(data, 'utf8'));
    else if (ArrayBuffer.isView(data)) writeAll(fd, toBytes(data));
    else for (const chunk of data) writeAll(fd, toBytes(chunk));
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; keep the first error */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* the tmp file may not exist */
    }
    if (err instanceof BertchatError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new BertchatError('IO', `cannot write ${path}: ${e.code ?? ''} ${e.message}`.trim(), { file: path }, { cause: err });
  }
  fsyncDir(dir);
}

/** Best-effort fsync of a folder so a rename survives a power cut (not supported everywhere: ignored then). */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* Windows and some file systems cannot fsync a directory */
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
