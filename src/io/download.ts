// HTTP for the hub: a metadata request that follows only relative redirects (as huggingface_hub does),
// and a resumable download into `<blob>.incomplete` (Range: bytes=N-), renamed into place when complete.
// Uses Node's global fetch (undici) with redirect: 'manual' so every hop is visible.
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { progressBar } from './progress.js';

/** What a resolve URL says about a file (huggingface_hub's HfFileMetadata). */
export interface FileMetadata {
  status: number;
  commit: string | null;
  etag: string | null;
  size: number | null;
  /** Where to GET the content (the CDN location of a redirect, or the resolve URL). */
  location: string;
  /** The hub's X-Error-Code (EntryNotFound, RepoNotFound, RevisionNotFound, GatedRepo), if any. */
  errorCode: string | null;
  errorMessage: string | null;
}

/** Thrown (wrapped) when the server cannot be reached at all: the caller may fall back to the cache. */
export class UnreachableError extends Error {}

/** Strips W/ and quotes from an ETag: `W/"abc"` → `abc`. */
export function normalizeEtag(etag: string | null): string | null {
  if (etag === null) return null;
  const e = etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return e === '' ? null : e;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** Headers for a hop: the Authorization header only goes to the origin it was meant for. */
function hopHeaders(headers: Record<string, string>, url: string, authOrigin: string): Record<string, string> {
  if (sameOrigin(url, authOrigin)) return headers;
  const { Authorization: _a, authorization: _b, ...rest } = headers;
  return rest;
}

async function doFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new UnreachableError(`${init.method ?? 'GET'} ${url} failed: ${why}`, { cause: err });
  }
}

/**
 * HEAD of a resolve URL. Relative redirects (a renamed repo) are followed; absolute ones (the CDN)
 * are not: their headers carry X-Repo-Commit, X-Linked-Etag and X-Linked-Size.
 */
export async function fetchFileMetadata(url: string, headers: Record<string, string>, timeoutMs: number): Promise<FileMetadata> {
  let current = url;
  let commit: string | null = null;
  let linkedEtag: string | null = null;
  let linkedSize: string | null = null;
  for (let hop = 0; hop < 10; hop++) {
    const res = await doFetch(current, {
      method: 'HEAD',
      headers: { ...headers, 'Accept-Encoding': 'identity' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    commit ??= res.headers.get('x-repo-commit');
    linkedEtag ??= res.headers.get('x-linked-etag');
    linkedSize ??= res.headers.get('x-linked-size');
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) && !loc.startsWith('//')) {
      current = new URL(loc, current).toString();
      continue;
    }
    const size = linkedSize ?? res.headers.get('content-length');
    return {
      status: res.status,
      commit,
      etag: normalizeEtag(linkedEtag ?? res.headers.get('etag')),
      size: size !== null && /^\d+$/.test(size) ? Number(size) : null,
      location: res.status >= 300 && res.status < 400 && loc !== null ? new URL(loc, current).toString() : current,
      errorCode: res.headers.get('x-error-code'),
      errorMessage: res.headers.get('x-error-message'),
    };
  }
  throw new BertchatError('NETWORK', `too many redirects resolving ${url}`, { url });
}

export interface DownloadOptions {
  headers: Record<string, string>;
  /** Only this origin gets the Authorization header. */
  authOrigin: string;
  /** Expected size in bytes, when the metadata gave one. */
  expectedSize: number | null;
  /** Abort when no byte arrives for this long. */
  stallTimeoutMs: number;
  label: string;
  progress: boolean;
}

/** GET with manual redirects (Range and other headers are kept on every hop; auth only on its origin). */
async function getFollowing(url: string, opts: DownloadOptions, extra: Record<string, string>, signal: AbortSignal): Promise<Response> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await doFetch(current, {
      method: 'GET',
      headers: { ...hopHeaders(opts.headers, current, opts.authOrigin), 'Accept-Encoding': 'identity', ...extra },
      redirect: 'manual',
      signal,
    });
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc !== null) {
      await res.body?.cancel();
      current = new URL(loc, current).toString();
      continue;
    }
    return res;
  }
  throw new BertchatError('NETWORK', `too many redirects downloading ${url}`, { url });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads `url` into `dest` through `dest + '.incomplete'`: an existing partial file is resumed with
 * `Range: bytes=N-` (a 206 appends; a 200 from a server that ignores Range restarts from zero). The file is
 * fsynced and renamed to `dest` only once complete and of the expected size, so an interrupted download never
 * leaves a file that later loads. Throws NETWORK on failure, keeping the partial file for the next try.
 */
export async function downloadResumable(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  const incomplete = `${dest}.incomplete`;
  await mkdir(dirname(dest), { recursive: true });
  let have = await sizeOf(incomplete);
  if (opts.expectedSize !== null && have > opts.expectedSize) {
    await unlink(incomplete);
    have = 0;
  }
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(new Error(`no data for ${opts.stallTimeoutMs} ms`)), opts.stallTimeoutMs);
  };
  arm();
  const bar = progressBar(opts.label, opts.expectedSize, opts.progress);
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  let written = have;
  try {
    const done = have > 0 && opts.expectedSize !== null && have === opts.expectedSize;
    if (!done) {
      const res = await getFollowing(url, opts, have > 0 ? { Range: `bytes=${have}-` } : {}, ac.signal);
      let append = false;
      if (res.status === 206 && have > 0) {
        const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
        if (m === null || Number(m[1]) !== have) {
          await res.body?.cancel();
          throw new BertchatError('NETWORK', `${opts.label}: server answered Range bytes=${have}- with Content-Range "${res.headers.get('content-range')}"`);
        }
        append = true;
        log.debug(`${opts.label}: resuming at byte ${have}`);
      } else if (res.status === 416 && have > 0) {
        await res.body?.cancel();
        await unlink(incomplete); // the partial file does not match the server's: start over next time
        throw new BertchatError('NETWORK', `${opts.label}: the server refused to resume at byte ${have}; the partial file was removed, retry`);
      } else if (res.status !== 200) {
        await res.body?.cancel();
        throw new BertchatError('NETWORK', `${opts.label}: GET ${url} answered HTTP ${res.status}`, { url, status: res.status });
      }
      if (!append) written = 0; // a 200 is the whole file: restart (also when the server ignored Range)
      const len = res.headers.get('content-length');
      const total = len !== null && /^\d+$/.test(len) ? written + Number(len) : null;
      if (total !== null && opts.expectedSize !== null && total !== opts.expectedSize) {
        await res.body?.cancel();
        throw new BertchatError('NETWORK', `${opts.label}: the server sends ${total} bytes but the hub said ${opts.expectedSize}`);
      }
      const expected = opts.expectedSize ?? total;
      fh = await open(incomplete, append ? 'a' : 'w');
      if (res.body !== null) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          arm();
          await fh.write(chunk);
          written += chunk.length;
          bar.update(written);
        }
      }
      if (expected !== null && written !== expected) {
        throw new BertchatError('NETWORK', `${opts.label}: got ${written} of ${expected} bytes (connection closed early); rerun to resume`);
      }
      await fh.sync();
      await fh.close();
      fh = null;
    }
    await rename(incomplete, dest);
    bar.finish();
  } catch (err) {
    if (err instanceof BertchatError) throw err;
    if (typeof (err as NodeJS.ErrnoException).syscall === 'string') {
      // a local file-system failure (disk full, permissions), not the network
      throw new BertchatError('IO', `cannot write ${incomplete}: ${(err as Error).message}`, { file: incomplete }, { cause: err });
    }
    const why = ac.signal.aborted ? String((ac.signal.reason as Error)?.message ?? 'aborted') : (err as Error).message;
    throw new BertchatError('NETWORK', `download of ${opts.label} interrupted after ${written} bytes (${why}); the partial file ${incomplete} is kept and the next try resumes it`, {
      url,
      partial: incomplete,
    }, { cause: err });
  } finally {
    clearTimeout(timer);
    if (fh !== null) await fh.close().catch(() => undefined);
  }
}
