// Hub resolution and download against a local fake hub (no internet): cache layout identical to
// huggingface_hub's, resume with Range after an interrupted download, offline mode, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serializeSafetensors } from '../../../src/io/safetensors-write.js';
import { readConfig } from '../../../src/io/config.js';
import { loadModelWeights } from '../../../src/io/sharded.js';
import { hfHubDownload, resolveModelDir, type ResolveOptions } from '../../../src/io/hub.js';
import { hfCacheDir, validateRepoId } from '../../../src/io/hub-cache.js';
import { normalizeEtag } from '../../../src/io/download.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';
import { startFakeHub, type FakeHub } from './hub-server.js';
import { tempDir } from './helpers.js';

const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function weights(seed: number, n = 50_000): Buffer {
  const rng = new Rng(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.normal();
  return Buffer.concat(serializeSafetensors({ 'model.embed.weight': { shape: [n / 50, 50], data: w }, 'model.norm.weight': { shape: [4], data: new Float32Array([1, 1, 1, 1]) } }));
}

function tinyRepo(): Record<string, Buffer> {
  return {
    'config.json': Buffer.from(JSON.stringify({ model_type: 'gpt2', n_embd: 32, n_head: 4, n_layer: 1, vocab_size: 300 })),
    'model.safetensors': weights(1),
    'tokenizer.json': Buffer.from('{"version":"1.0"}'),
    'vocab.json': Buffer.from('{"a":0}'),
  };
}

async function withHub(t: Parameters<typeof tempDir>[0]): Promise<{ hub: FakeHub; cacheDir: string; opts: ResolveOptions }> {
  const hub = await startFakeHub();
  t.after(() => hub.close());
  const cacheDir = join(tempDir(t, 'bertchat-hub-'), 'hub');
  return { hub, cacheDir, opts: { endpoint: hub.endpoint, cacheDir, env: {}, progress: false, token: false } };
}

const gets = (hub: FakeHub, path: string): number => hub.log.filter((r) => r.method === 'GET' && r.url.startsWith(path)).length;

test('downloads a model folder into the huggingface_hub cache layout', async (t) => {
  const { hub, cacheDir, opts } = await withHub(t);
  const files = tinyRepo();
  hub.repos.set('test-org/tiny-gpt2', { commit: COMMIT, files });
  const dir = await resolveModelDir('test-org/tiny-gpt2', opts);
  const repoDir = join(cacheDir, 'models--test-org--tiny-gpt2');
  assert.equal(dir, join(repoDir, 'snapshots', COMMIT));
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), COMMIT);
  for (const [name, content] of Object.entries(files)) {
    const link = join(dir, name);
    assert.ok(lstatSync(link).isSymbolicLink(), `${name} is a symlink`);
    const etag = hub.etagOf(content, name.endsWith('.safetensors'));
    assert.equal(readlinkSync(link), `../../blobs/${etag}`);
    assert.ok(readFileSync(join(repoDir, 'blobs', etag)).equals(content), name);
  }
  // optional files that 404 are remembered like huggingface_hub's .no_exist/
  for (const f of ['merges.txt', 'vocab.txt', 'generation_config.json']) assert.ok(existsSync(join(repoDir, '.no_exist', COMMIT, f)), f);
  assert.deepEqual(readdirSync(join(repoDir, 'blobs')).filter((f) => f.includes('.incomplete')), []);
  assert.equal(readConfig(dir).model_type, 'gpt2');
  assert.equal(loadModelWeights(dir).tensors.get('model.embed.weight')!.shape.join(','), '1000,50');
  // the 302 went to /cdn with no Range, the relative 307 was followed
  assert.equal(gets(hub, '/cdn/'), 2);

  // a second resolve only asks for metadata: nothing is downloaded again
  hub.log.length = 0;
  assert.equal(await resolveModelDir('test-org/tiny-gpt2', opts), dir);
  assert.equal(gets(hub, '/cdn/'), 0);
  assert.equal(hub.log.filter((r) => r.method === 'GET').length, 0);

  // a pinned commit is served from the cache without any request
  hub.log.length = 0;
  assert.equal(await resolveModelDir('test-org/tiny-gpt2', { ...opts, revision: COMMIT }), dir);
  assert.equal(hub.log.length, 0);
});

test('an interrupted download leaves only .incomplete; the retry resumes with Range and is byte-identical', async (t) => {
  const { hub, cacheDir, opts } = await withHub(t);
  const files = tinyRepo();
  hub.repos.set('test-org/resume', { commit: COMMIT, files });
  const etag = hub.etagOf(files['model.safetensors']!, true);
  const half = Math.floor(files['model.safetensors']!.length / 2);
  hub.cutAfter.set(etag, half);
  await assert.rejects(resolveModelDir('test-org/resume', opts), (e: unknown) => isBertchatError(e, 'NETWORK') && /interrupted/.test((e as Error).message));
  const repoDir = join(cacheDir, 'models--test-org--resume');
  const snap = join(repoDir, 'snapshots', COMMIT);
  assert.equal(existsSync(join(snap, 'model.safetensors')), false, 'no snapshot file after an interrupted download');
  assert.equal(existsSync(join(repoDir, 'blobs', etag)), false);
  const partial = join(repoDir, 'blobs', `${etag}.incomplete`);
  const have = statSync(partial).size;
  assert.ok(have > 0 && have <= half, `partial ${have} bytes`);
  // the incomplete model does not load offline either
  await assert.rejects(resolveModelDir('test-org/resume', { ...opts, offline: true }), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /model\.safetensors/.test((e as Error).message));

  hub.log.length = 0;
  const dir = await resolveModelDir('test-org/resume', opts);
  const cdn = hub.log.filter((r) => r.method === 'GET' && r.url === `/cdn/${etag}`);
  assert.equal(cdn.length, 1);
  assert.equal(cdn[0]!.range, `bytes=${have}-`);
  assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(files['model.safetensors']!));
  assert.equal(existsSync(partial), false);
});

test('a server that ignores Range (200) restarts the download from zero', async (t) => {
  const { hub, cacheDir, opts } = await withHub(t);
  const files = tinyRepo();
  hub.repos.set('test-org/norange', { commit: COMMIT, files });
  const etag = hub.etagOf(files['model.safetensors']!, true);
  hub.cutAfter.set(etag, 1000);
  await assert.rejects(resolveModelDir('test-org/norange', opts), (e: unknown) => isBertchatError(e, 'NETWORK'));
  assert.ok(existsSync(join(cacheDir, 'models--test-org--norange', 'blobs', `${etag}.incomplete`)));
  hub.ignoreRange = true;
  hub.log.length = 0;
  const dir = await resolveModelDir('test-org/norange', opts);
  assert.ok(hub.log.some((r) => r.url === `/cdn/${etag}` && r.range !== undefined), 'a Range was asked');
  assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(files['model.safetensors']!));
});

test('offline: a complete cache is used without any request; an empty cache gives a clear error', async (t) => {
  const { hub, cacheDir, opts } = await withHub(t);
  hub.repos.set('test-org/offline', { commit: COMMIT, files: tinyRepo() });
  const dir = await resolveModelDir('test-org/offline', opts);
  hub.log.length = 0;
  assert.equal(await resolveModelDir('test-org/offline', { ...opts, offline: true }), dir);
  assert.equal(await resolveModelDir('test-org/offline', { ...opts, env: { HF_HUB_OFFLINE: '1' } }), dir);
  assert.equal(hub.log.length, 0);

  await assert.rejects(resolveModelDir('test-org/never-downloaded', { ...opts, offline: true }), (e: unknown) => {
    assert.ok(isBertchatError(e, 'NOT_FOUND'), String(e));
    const msg = (e as Error).message;
    assert.match(msg, /test-org\/never-downloaded/);
    assert.match(msg, /config\.json/);
    assert.ok(msg.includes(join(cacheDir, 'models--test-org--never-downloaded')), msg);
    assert.match(msg, /HF_HUB_OFFLINE/);
    assert.match(msg, /HF_HOME/);
    return true;
  });
  assert.equal(hub.log.length, 0);
});

test('network failure: falls back to a complete cache, else NETWORK naming the file and the cache', async (t) => {
  const { hub, cacheDir, opts } = await withHub(t);
  hub.repos.set('test-org/net', { commit: COMMIT, files: tinyRepo() });
  const dir = await resolveModelDir('test-org/net', opts);
  const down = await startFakeHub();
  const deadEndpoint = down.endpoint;
  await down.close(); // nothing listens there now
  const offlineOpts = { ...opts, endpoint: deadEndpoint };
  assert.equal(await resolveModelDir('test-org/net', offlineOpts), dir);
  await assert.rejects(resolveModelDir('test-org/other', offlineOpts), (e: unknown) => {
    assert.ok(isBertchatError(e, 'NETWORK'), String(e));
    assert.match((e as Error).message, /config\.json/);
    assert.ok((e as Error).message.includes(cacheDir), (e as Error).message);
    return true;
  });
});

test('401 without a token names HF_TOKEN; with the token the download works', async (t) => {
  const { hub, opts } = await withHub(t);
  hub.repos.set('gated-org/secret', { commit: COMMIT, files: tinyRepo(), token: 'hf_test' });
  await assert.rejects(resolveModelDir('gated-org/secret', opts), (e: unknown) => isBertchatError(e, 'NETWORK') && /HTTP 401/.test((e as Error).message) && /HF_TOKEN/.test((e as Error).message));
  const dir = await resolveModelDir('gated-org/secret', { ...opts, token: 'hf_test' });
  assert.ok(existsSync(join(dir, 'model.safetensors')));
  assert.ok(hub.log.some((r) => r.url.includes('/resolve/') && r.auth === 'Bearer hf_test'));
  // the token can also come from the environment
  const viaEnv = await resolveModelDir('gated-org/secret', { ...opts, token: undefined, env: { HF_TOKEN: 'hf_test' } });
  assert.equal(viaEnv, dir);
});

test('sharded repos download the index and every shard; .bin-only repos are refused clearly', async (t) => {
  const { hub, opts } = await withHub(t);
  const s1 = Buffer.concat(serializeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) } }));
  const s2 = Buffer.concat(serializeSafetensors({ b: { shape: [1], data: new Float32Array([3]) } }));
  const index = { metadata: { total_size: 12 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
  hub.repos.set('org/sharded', {
    commit: COMMIT,
    files: {
      'config.json': Buffer.from('{"model_type":"bert"}'),
      'model.safetensors.index.json': Buffer.from(JSON.stringify(index)),
      'model-00001-of-00002.safetensors': s1,
      'model-00002-of-00002.safetensors': s2,
    },
  });
  const dir = await resolveModelDir('org/sharded', opts);
  const w = loadModelWeights(dir);
  assert.deepEqual([...w.tensors.keys()].sort(), ['a', 'b']);
  // and offline afterwards (model.safetensors is known missing)
  assert.equal(await resolveModelDir('org/sharded', { ...opts, offline: true }), dir);

  hub.repos.set('org/pickle', { commit: COMMIT, files: { 'config.json': Buffer.from('{"model_type":"bert"}'), 'pytorch_model.bin': Buffer.from('x') } });
  await assert.rejects(resolveModelDir('org/pickle', opts), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /pytorch_model\.bin/.test((e as Error).message) && /not supported/.test((e as Error).message));
  assert.equal(gets(hub, '/cdn/'), 2, 'the .bin was never downloaded');
});

test('hfHubDownload: one file; missing files; explicit file lists; revisions', async (t) => {
  const { hub, opts } = await withHub(t);
  hub.repos.set('solo', { commit: COMMIT, files: tinyRepo() });
  const p = await hfHubDownload('solo', 'vocab.json', opts);
  assert.equal(readFileSync(p!, 'utf8'), '{"a":0}');
  assert.equal(await hfHubDownload('solo', 'merges.txt', { ...opts, optional: true }), null);
  await assert.rejects(hfHubDownload('solo', 'merges.txt', opts), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /merges\.txt/.test((e as Error).message));
  await assert.rejects(hfHubDownload('nobody/none', 'config.json', opts), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /not found/.test((e as Error).message));
  await assert.rejects(hfHubDownload('solo', 'config.json', { ...opts, revision: 'v9' }), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /v9/.test((e as Error).message));
  const dir = await resolveModelDir('solo', { ...opts, files: ['config.json'] });
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'vocab.json']);
  await assert.rejects(hfHubDownload('solo', '../config.json', opts), (e: unknown) => isBertchatError(e, 'INVALID_ARGUMENT'));
});

test('local folders are used as is; ids are validated', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'm'));
  assert.equal(await resolveModelDir(join(dir, 'm')), join(dir, 'm'));
  await assert.rejects(resolveModelDir(join(dir, 'missing')), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && (e as Error).message.includes(join(dir, 'missing')));
  await assert.rejects(resolveModelDir('./nope', { offline: true }), (e: unknown) => isBertchatError(e, 'NOT_FOUND'));
  for (const bad of ['org/na..me', 'org/-x', 'a--b/c', 'org/name.git', 'o\\x', 'org/ name', 'org/näme']) {
    assert.throws(() => validateRepoId(bad), (e: unknown) => isBertchatError(e, 'INVALID_ARGUMENT'), bad);
  }
  await assert.rejects(resolveModelDir('org/na..me', { offline: true, env: {} }), (e: unknown) => isBertchatError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(resolveModelDir('org/x', { offline: true, env: {}, revision: '../../etc' }), (e: unknown) => isBertchatError(e, 'INVALID_ARGUMENT'));
  for (const ok of ['gpt2', 'HuggingFaceTB/SmolLM2-135M', 'bert-base-uncased', 'a_b/c.d-e']) validateRepoId(ok);
});

test('cache folder and ETag rules', () => {
  assert.equal(hfCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
  assert.equal(hfCacheDir({ HF_HOME: '/h' }), join('/h', 'hub'));
  assert.equal(hfCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'huggingface', 'hub'));
  assert.match(hfCacheDir({}), /\.cache\/huggingface\/hub$/);
  assert.equal(normalizeEtag('W/"abc"'), 'abc');
  assert.equal(normalizeEtag('"abc"'), 'abc');
  assert.equal(normalizeEtag('abc'), 'abc');
});

test('concurrent resolves of one model download each blob once', async (t) => {
  const { hub, opts } = await withHub(t);
  hub.repos.set('org/concurrent', { commit: COMMIT, files: tinyRepo() });
  const [a, b] = await Promise.all([resolveModelDir('org/concurrent', opts), resolveModelDir('org/concurrent', opts)]);
  assert.equal(a, b);
  assert.equal(gets(hub, '/cdn/'), 2); // model.safetensors and tokenizer.json, once each
  assert.equal(loadModelWeights(a).tensors.size, 2);
});
