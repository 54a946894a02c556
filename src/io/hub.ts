// Model folder resolution like huggingface_hub: a local folder is used as is; a model id is looked up in
// the HF cache and downloaded when online (config, weights, tokenizer files), writing the same cache layout.
// Offline (HF_HUB_OFFLINE=1) or unreachable: a complete cached snapshot is used, else a clear error.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { downloadResumable, fetchFileMetadata, UnreachableError, type FileMetadata } from './download.js';
import { hfCacheDir, hfHome, RepoCache, validateRepoFilename, validateRevision, type Env } from './hub-cache.js';
import { parseShardIndex, SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME } from './sharded.js';

/** Optional files fetched with a model when present (a 404 is skipped and remembered in .no_exist/). */
export const OPTIONAL_MODEL_FILES = [
  'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'chat_template.jinja',
] as const;

export interface HubOptions {
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Cache folder; default from HF_HUB_CACHE / HF_HOME (see hfCacheDir). */
  cacheDir?: string;
  /** Hub URL; default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default HF_TOKEN, or the token file in HF_HOME. false sends none. */
  token?: string | false;
  /** Never touch the network; default from HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Draw a progress bar on stderr (only when it is a TTY); default true unless HF_HUB_DISABLE_PROGRESS_BARS. */
  progress?: boolean;
  /** Metadata request timeout (ms); default HF_HUB_ETAG_TIMEOUT seconds or 10 s. */
  metadataTimeoutMs?: number;
  /** Abort a download after this long without data (ms); default HF_HUB_DOWNLOAD_TIMEOUT seconds or 10 s. */
  stallTimeoutMs?: number;
  /** Environment to read the HF_* variables from; default process.env. */
  env?: Env;
}

export interface ResolveOptions extends HubOptions {
  /** Fetch exactly these files (all required) instead of config + weights + tokenizer files. */
  files?: string[];
}

interface Ctx {
  repoId: string;
  revision: string;
  cache: RepoCache;
  endpoint: string;
  headers: Record<string, string>;
  offline: boolean;
  progress: boolean;
  metadataTimeoutMs: number;
  stallTimeoutMs: number;
  env: Env;
}

const truthy = (v: string | undefined): boolean => v !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase());

function readToken(env: Env): string | null {
  if (env.HF_TOKEN) return env.HF_TOKEN;
  if (env.HUGGING_FACE_HUB_TOKEN) return env.HUGGING_FACE_HUB_TOKEN;
  try {
    const t = readFileSync(env.HF_TOKEN_PATH ?? join(hfHome(env), 'token'), 'utf8').trim();
    return t === '' ? null : t;
  } catch {
    return null;
  }
}

function makeCtx(repoId: string, o: HubOptions): Ctx {
  const env = o.env ?? process.env;
  const revision = o.revision ?? 'main';
  validateRevision(revision);
  const token = o.token === false ? null : (o.token ?? readToken(env));
  const headers: Record<string, string> = { 'User-Agent': `bertchat/0.1; node/${process.versions.node}` };
  if (token) headers.Authorization = `Bearer ${token}`;
  const secs = (v: string | undefined): number | null => (v !== undefined && Number(v) > 0 ? Number(v) * 1000 : null);
  return {
    repoId,
    revision,
    cache: new RepoCache(o.cacheDir ?? hfCacheDir(env), repoId),
    endpoint: (o.endpoint ?? env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    headers,
    offline: o.offline ?? truthy(env.HF_HUB_OFFLINE),
    progress: o.progress ?? !truthy(env.HF_HUB_DISABLE_PROGRESS_BARS),
    metadataTimeoutMs: o.metadataTimeoutMs ?? secs(env.HF_HUB_ETAG_TIMEOUT) ?? 10_000,
    stallTimeoutMs: o.stallTimeoutMs ?? secs(env.HF_HUB_DOWNLOAD_TIMEOUT) ?? 10_000,
    env,
  };
}

function resolveUrl(ctx: Ctx, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${ctx.endpoint}/${ctx.repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
}

const inFlight = new Map<string, Promise<void>>();

/** Why the hub cannot be used right now (offline or unreachable); null when online. */
type Offline = { reason: string } | null;

/** Outcome of fetching one file: its path, "absent" (the repo has no such file) or a network problem. */
type FileResult = { path: string } | { absent: true } | { unreachable: string };

/** Looks a file up in the cache only. */
function fromCache(ctx: Ctx, revision: string, file: string): FileResult | null {
  const commit = ctx.cache.resolveCommit(revision);
  if (commit === null) return null;
  const p = ctx.cache.cachedFile(commit, file);
  if (p !== null) return { path: p };
  if (ctx.cache.isKnownMissing(commit, file)) return { absent: true };
  return null;
}

async function fetchOne(ctx: Ctx, revision: string, file: string, commitOut: { commit: string | null }): Promise<FileResult> {
  validateRepoFilename(file);
  // A commit hash never changes: serve from the cache without a request.
  if (/^[0-9a-f]{40}$/.test(revision)) {
    const hit = fromCache(ctx, revision, file);
    if (hit !== null) return hit;
  }
  if (ctx.offline) return fromCache(ctx, revision, file) ?? { unreachable: 'offline mode (HF_HUB_OFFLINE)' };

  const url = resolveUrl(ctx, revision, file);
  let meta: FileMetadata;
  try {
    meta = await fetchFileMetadata(url, ctx.headers, ctx.metadataTimeoutMs);
  } catch (err) {
    if (!(err instanceof UnreachableError)) throw err;
    log.warn(`${err.message}; trying the cache`);
    return fromCache(ctx, revision, file) ?? { unreachable: err.message };
  }
  if (meta.status === 401 || meta.status === 403) {
    throw new BertchatError(
      'NETWORK',
      `${ctx.repoId}: the hub answered HTTP ${meta.status} for ${file}` +
        (ctx.headers.Authorization ? ' with the token given (no access to this repo?)' : ': the repo is private, gated or does not exist; set HF_TOKEN to a token with access') +
        (meta.errorMessage ? ` (${meta.errorMessage})` : ''),
      { repo: ctx.repoId, file, status: meta.status },
    );
  }
  if (meta.status === 404) {
    if (meta.errorCode === 'RepoNotFound' || meta.errorCode === 'RevisionNotFound') {
      const what = meta.errorCode === 'RepoNotFound' ? `repository ${ctx.repoId} not found on ${ctx.endpoint}` : `revision "${revision}" not found in ${ctx.repoId}`;
      throw new BertchatError('NOT_FOUND', what, { repo: ctx.repoId, revision });
    }
    if (meta.commit !== null && /^[0-9a-f]{40}$/.test(meta.commit)) {
      ctx.cache.writeRef(revision, meta.commit);
      ctx.cache.markMissing(meta.commit, file);
      commitOut.commit ??= meta.commit;
    }
    return { absent: true };
  }
  if (meta.status >= 500 || meta.status === 429) {
    log.warn(`${url}: HTTP ${meta.status}; trying the cache`);
    return fromCache(ctx, revision, file) ?? { unreachable: `HTTP ${meta.status} from ${url}` };
  }
  if (meta.status >= 400) throw new BertchatError('NETWORK', `${url}: HTTP ${meta.status}`, { url, status: meta.status });
  if (meta.commit === null || !/^[0-9a-f]{40}$/.test(meta.commit) || meta.etag === null || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(meta.etag)) {
    throw new BertchatError('NETWORK', `${url}: the answer lacks a valid X-Repo-Commit or ETag header (is ${ctx.endpoint} a Hugging Face hub?)`, { url });
  }
  const { commit, etag } = meta;
  ctx.cache.writeRef(revision, commit);
  commitOut.commit ??= commit;
  const pointer = ctx.cache.cachedFile(commit, file);
  if (pointer !== null) return { path: pointer };
  const blob = ctx.cache.blobPath(etag);
  if (!existsSync(blob)) {
    // One download per blob in this process: concurrent callers wait for it instead of sharing the .incomplete file.
    let pending = inFlight.get(blob);
    if (pending === undefined) {
      pending = downloadResumable(meta.location, blob, {
        headers: ctx.headers,
        authOrigin: ctx.endpoint,
        expectedSize: meta.size,
        stallTimeoutMs: ctx.stallTimeoutMs,
        label: file,
        progress: ctx.progress,
      }).finally(() => inFlight.delete(blob));
      inFlight.set(blob, pending);
    }
    await pending;
  }
  return { path: ctx.cache.linkSnapshot(commit, file, etag) };
}

function notAvailable(ctx: Ctx, file: string, why: string, localTried: string | null): BertchatError {
  const commit = ctx.cache.resolveCommit(ctx.revision);
  const looked = [
    ...(localTried !== null ? [`local folder ${localTried} (does not exist)`] : []),
    commit !== null
      ? `hub cache ${ctx.cache.snapshotDir(commit)} (${file} missing)`
      : `hub cache ${ctx.cache.dir} (no refs/${ctx.revision}: this model was never downloaded there)`,
  ];
  const offline = why.startsWith('offline');
  return new BertchatError(
    offline ? 'NOT_FOUND' : 'NETWORK',
    `cannot load model "${ctx.repoId}" (revision ${ctx.revision}): ${file} is not in the cache and the hub cannot be used (${why}). ` +
      `Looked in: ${looked.join('; ')}. To fix: ${offline ? 'unset HF_HUB_OFFLINE and connect to the network' : `check the network or HF_ENDPOINT (${ctx.endpoint})`} to download it once, ` +
      `or set HF_HOME / HF_HUB_CACHE to a cache that has it, or pass the path of a local model folder.`,
    { repo: ctx.repoId, file, cacheDir: ctx.cache.cacheDir, offline },
  );
}

/**
 * Downloads one file of a hub repo into the cache (or finds it there) and returns its snapshot path;
 * null when the repo has no such file and `optional` is set.
 *
 * @example
 * const p = await hfHubDownload('gpt2', 'config.json'); // ~/.cache/huggingface/hub/models--gpt2/snapshots/<commit>/config.json
 */
export async function hfHubDownload(repoId: string, file: string, opts: HubOptions & { optional?: boolean } = {}): Promise<string | null> {
  const ctx = makeCtx(repoId, opts);
  const r = await fetchOne(ctx, ctx.revision, file, { commit: null });
  if ('path' in r) return r.path;
  if ('absent' in r) {
    if (opts.optional) return null;
    throw new BertchatError('NOT_FOUND', `${repoId} (revision ${ctx.revision}) has no file ${file}`, { repo: repoId, file });
  }
  throw notAvailable(ctx, file, r.unreachable, null);
}

/** True when the string can only be a file-system path, never a hub id. */
function looksLikePath(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || s.includes('\\') || /^[A-Za-z]:/.test(s) || s.split('/').length > 2;
}

/**
 * Resolves a model to a local folder: an existing directory is returned as is; otherwise `idOrPath` is a hub id
 * (`org/name` or `name`) resolved in the HF cache, downloading what is missing when online: config.json, the weights
 * (model.safetensors, or the index and its shards) and the tokenizer files that exist.
 *
 * @example
 * const dir = await resolveModelDir('HuggingFaceTB/SmolLM2-135M');
 * const cfg = readConfig(dir); const weights = loadModelWeights(dir);
 */
export async function resolveModelDir(idOrPath: string, opts: ResolveOptions = {}): Promise<string> {
  if (existsSync(idOrPath) && statSync(idOrPath).isDirectory()) return resolve(idOrPath);
  if (looksLikePath(idOrPath)) throw new BertchatError('NOT_FOUND', `model folder not found: ${resolve(idOrPath)}`, { path: idOrPath });
  const ctx = makeCtx(idOrPath, opts);
  const localTried = resolve(idOrPath);
  const pin = { commit: null as string | null };
  // After the first answer, fetch every other file at that commit so the snapshot is consistent.
  const rev = (): string => pin.commit ?? ctx.revision;
  const need = async (file: string): Promise<string | null> => {
    const r = await fetchOne(ctx, rev(), file, pin);
    if ('path' in r) return r.path;
    if ('absent' in r) return null;
    throw notAvailable(ctx, file, r.unreachable, localTried);
  };
  const required = async (file: string, hint = ''): Promise<void> => {
    if ((await need(file)) === null) {
      throw new BertchatError('NOT_FOUND', `${ctx.repoId} (revision ${ctx.revision}) has no ${file}${hint}`, { repo: ctx.repoId, file });
    }
  };

  if (opts.files !== undefined) {
    for (const f of opts.files) await required(f);
  } else {
    await required('config.json', ' (is it a model repo?)');
    await fetchWeights(ctx, (f) => fetchOne(ctx, rev(), f, pin), localTried, rev);
    for (const f of OPTIONAL_MODEL_FILES) {
      const r = await fetchOne(ctx, rev(), f, pin);
      if ('unreachable' in r) log.debug(`${ctx.repoId}: optional ${f} unavailable (${r.unreachable})`);
    }
  }
  const commit = pin.commit ?? ctx.cache.resolveCommit(ctx.revision);
  if (commit === null) throw notAvailable(ctx, 'config.json', 'no commit known', localTried);
  return ctx.cache.snapshotDir(commit);
}

/** model.safetensors, else the index and every shard it lists; a clear error for .bin-only repos. */
async function fetchWeights(ctx: Ctx, get: (file: string) => Promise<FileResult>, localTried: string, rev: () => string): Promise<void> {
  const single = await get(SAFE_WEIGHTS_NAME);
  if ('path' in single) return;
  const index = await get(SAFE_WEIGHTS_INDEX_NAME);
  if ('path' in index) {
    const parsed = parseShardIndex(readFileSync(index.path, 'utf8'), index.path);
    for (const shard of new Set(Object.values(parsed.weight_map))) {
      const r = await get(shard);
      if ('unreachable' in r) throw notAvailable(ctx, shard, r.unreachable, localTried);
      if ('absent' in r) {
        throw new BertchatError('NOT_FOUND', `${ctx.repoId}: ${SAFE_WEIGHTS_INDEX_NAME} lists ${shard}, which the repo does not have`, { repo: ctx.repoId, file: shard });
      }
    }
    return;
  }
  if ('unreachable' in single) throw notAvailable(ctx, SAFE_WEIGHTS_NAME, single.unreachable, localTried);
  if ('unreachable' in index) throw notAvailable(ctx, SAFE_WEIGHTS_INDEX_NAME, index.unreachable, localTried);
  // Neither exists: say so, and whether the repo only has a pickle (a HEAD request, nothing downloaded).
  let hasBin = false;
  try {
    const m = await fetchFileMetadata(resolveUrl(ctx, rev(), 'pytorch_model.bin'), ctx.headers, ctx.metadataTimeoutMs);
    hasBin = m.status >= 200 && m.status < 400;
  } catch {
    /* only a hint */
  }
  throw new BertchatError(
    'NOT_FOUND',
    `${ctx.repoId} (revision ${ctx.revision}) has no ${SAFE_WEIGHTS_NAME} or ${SAFE_WEIGHTS_INDEX_NAME}` +
      (hasBin ? '; it has pytorch_model.bin, but PyTorch .bin pickles are not supported (look for a safetensors revision, e.g. refs/pr/N)' : ''),
    { repo: ctx.repoId },
  );
}
