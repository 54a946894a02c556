// The Hugging Face hub cache, laid out exactly as huggingface_hub does so both tools share it:
//   <cache>/models--{org}--{name}/refs/{revision}        (commit hash)
//   <cache>/models--{org}--{name}/blobs/{etag}            (file content)
//   <cache>/models--{org}--{name}/snapshots/{commit}/{f}  (relative symlink to ../../blobs/{etag})
//   <cache>/models--{org}--{name}/.no_exist/{commit}/{f}  (empty: "this file does not exist at that commit")
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { writeFileAtomic, tempPathFor } from './atomic.js';

export type Env = Record<string, string | undefined>;

/**
 * The hub cache folder: HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
 * else ~/.cache/huggingface/hub (huggingface_hub's order; HUGGINGFACE_HUB_CACHE is the legacy name).
 *
 * @example hfCacheDir({ HF_HOME: '/data/hf' }) // '/data/hf/hub'
 */
export function hfCacheDir(env: Env = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  return join(hfHome(env), 'hub');
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return env.HF_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
}

const ID_PART = /^[A-Za-z0-9_.-]+$/;

/**
 * Validates a hub model id (`name` or `org/name`) like huggingface_hub's validate_repo_id:
 * ASCII letters, digits, `_ . -`, at most 96 characters a part, no `--` or `..`, no leading or trailing `-`/`.`.
 *
 * @example validateRepoId('HuggingFaceTB/SmolLM2-135M'); // ok
 */
export function validateRepoId(id: string): void {
  const bad = (why: string): never => {
    throw new BertchatError('INVALID_ARGUMENT', `"${id}" is not a valid Hugging Face model id (${why}); expected "name" or "org/name"`, { id });
  };
  if (typeof id !== 'string' || id.length === 0) bad('empty');
  const parts = id.split('/');
  if (parts.length > 2) bad('more than one "/"');
  for (const p of parts) {
    if (!ID_PART.test(p)) bad('only letters, digits, "_", "-" and "." are allowed');
    if (p.length > 96) bad('a part is longer than 96 characters');
    if (/^[-.]|[-.]$/.test(p)) bad('a part starts or ends with "-" or "."');
  }
  if (id.includes('--') || id.includes('..')) bad('"--" and ".." are not allowed');
  if (id.endsWith('.git')) bad('ends with ".git"');
}

/** A revision (branch, tag, commit, "refs/pr/1") safe to use as a path under refs/. */
export function validateRevision(rev: string): void {
  const ok =
    typeof rev === 'string' && rev.length > 0 && rev.length <= 256 && /^[A-Za-z0-9_.\-/]+$/.test(rev) &&
    !rev.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (!ok) throw new BertchatError('INVALID_ARGUMENT', `invalid revision ${JSON.stringify(rev)}`, { revision: rev });
}

/** A repo file name: relative, "/"-separated, no "." or ".." parts, no backslashes. */
export function validateRepoFilename(file: string): void {
  const ok = typeof file === 'string' && file.length > 0 && !file.includes('\\') && !file.includes('\0') &&
    !file.startsWith('/') && !file.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (!ok) throw new BertchatError('INVALID_ARGUMENT', `invalid file name in a repo: ${JSON.stringify(file)}`, { file });
}

export const COMMIT_RE = /^[0-9a-f]{40}$/;

/** Paths of one repo in the cache. */
export class RepoCache {
  readonly dir: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    validateRepoId(repoId);
    this.dir = join(cacheDir, `models--${repoId.split('/').join('--')}`);
  }

  refPath(revision: string): string {
    return join(this.dir, 'refs', ...revision.split('/'));
  }
  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', commit);
  }
  snapshotFile(commit: string, file: string): string {
    return join(this.dir, 'snapshots', commit, ...file.split('/'));
  }
  blobPath(etag: string): string {
    return join(this.dir, 'blobs', etag);
  }
  noExistPath(commit: string, file: string): string {
    return join(this.dir, '.no_exist', commit, ...file.split('/'));
  }

  /** The commit a revision points to: the revision itself when it is a commit hash, else refs/{revision}. */
  resolveCommit(revision: string): string | null {
    if (COMMIT_RE.test(revision)) return revision;
    try {
      const c = readFileSync(this.refPath(revision), 'utf8').trim();
      return COMMIT_RE.test(c) ? c : null;
    } catch {
      return null;
    }
  }

  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const path = this.refPath(revision);
    try {
      if (readFileSync(path, 'utf8').trim() === commit) return;
    } catch {
      /* no ref yet */
    }
    writeFileAtomic(path, commit); // no trailing newline, as huggingface_hub writes it
  }

  /** The snapshot path of a file when it is in the cache (a dangling link counts as absent). */
  cachedFile(commit: string, file: string): string | null {
    const p = this.snapshotFile(commit, file);
    return existsSync(p) ? p : null;
  }

  isKnownMissing(commit: string, file: string): boolean {
    return existsSync(this.noExistPath(commit, file));
  }

  markMissing(commit: string, file: string): void {
    const p = this.noExistPath(commit, file);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
  }

  /** Points snapshots/{commit}/{file} at blobs/{etag} with a relative symlink (a copy where links are not allowed). */
  linkSnapshot(commit: string, file: string, etag: string): string {
    const link = this.snapshotFile(commit, file);
    const blob = this.blobPath(etag);
    mkdirSync(dirname(link), { recursive: true });
    const tmp = tempPathFor(link);
    try {
      symlinkSync(relative(dirname(link), blob), tmp);
      renameSync(tmp, link); // atomic replace of an older link
    } catch (err) {
      try {
        if (lstatSync(tmp, { throwIfNoEntry: false })) unlinkSync(tmp);
      } catch {
        /* ignore */
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw err;
      copyFileSync(blob, tmp); // e.g. Windows without developer mode
      renameSync(tmp, link);
    }
    return link;
  }
}
