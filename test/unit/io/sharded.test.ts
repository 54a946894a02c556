// Sharded checkpoints (HF save_pretrained layout) and loadModelWeights' choice of files and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { writeSafetensors } from '../../../src/io/safetensors-write.js';
import { loadModelWeights, parseSize, planShards, readShardedSafetensors, saveModelWeights } from '../../../src/io/sharded.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { bytesOf, tempDir } from './helpers.js';

test('sharded write + read of a golden checkpoint is bit-identical', (t) => {
  const src = needShared(t, 'golden', 'llama-tiny-random', 'model.safetensors');
  if (!src) return;
  const dir = tempDir(t);
  const orig = readSafetensors(src);
  const written = saveModelWeights(dir, orig.tensors, { maxShardSize: 40_000 });
  const files = readdirSync(dir).sort();
  assert.ok(files.includes('model.safetensors.index.json'));
  const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
  assert.ok(shards.length >= 3, files.join(','));
  assert.equal(written.length, shards.length + 1);
  assert.ok(shards.every((f) => f.endsWith(`-of-${String(shards.length).padStart(5, '0')}.safetensors`)));
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
  assert.deepEqual(Object.keys(index), ['metadata', 'weight_map']);
  assert.equal(index.metadata.total_size, 153304 - 8 - 2128);
  assert.deepEqual(Object.keys(index.weight_map), [...orig.tensors.keys()].sort());
  for (const s of shards) assert.ok(readFileSync(join(dir, s)).length <= 40_000 + 4096, s);

  const back = loadModelWeights(dir);
  assert.equal(back.files.length, shards.length);
  assert.equal(back.tensors.size, orig.tensors.size);
  for (const [name, tt] of orig.tensors) assert.ok(bytesOf(back.tensors.get(name)!.data).equals(bytesOf(tt.data)), name);

  // Saving again unsharded removes the stale shards and index.
  saveModelWeights(dir, orig.tensors);
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  assert.equal(loadModelWeights(dir).tensors.size, 21);
});

test('planShards follows huggingface_hub: big tensors alone, split when the next would tip over', () => {
  const plan = planShards<number>([['a', 4], ['b', 4], ['c', 10], ['d', 3], ['e', 5]], (x) => x, 8);
  // like huggingface_hub, the oversized tensor's own shard is emitted before the shard being filled
  assert.deepEqual(plan.map((s) => s.map(([n]) => n)), [['c'], ['a', 'b'], ['d', 'e']]);
  assert.equal(parseSize('5GB'), 5e9);
  assert.equal(parseSize('2GiB'), 2 ** 31);
  assert.equal(parseSize(1000), 1000);
  assert.throws(() => parseSize('lots'), (e: unknown) => isBertchatError(e, 'INVALID_ARGUMENT'));
});

function makeSharded(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  const w = (n: number): { shape: number[]; data: Float32Array } => ({ shape: [n], data: new Float32Array(n).fill(n) });
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { a: w(2), b: w(3) });
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { c: w(4) });
  const index = { metadata: { total_size: 36 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  return dir;
}

function editIndex(dir: string, f: (i: { weight_map: Record<string, string> }) => void): void {
  const p = join(dir, 'model.safetensors.index.json');
  const i = JSON.parse(readFileSync(p, 'utf8'));
  f(i);
  writeFileSync(p, JSON.stringify(i));
}

test('readShardedSafetensors: missing shard, absent tensor, duplicated tensor, path tricks', (t) => {
  const ok = makeSharded(t);
  assert.deepEqual([...readShardedSafetensors(ok).tensors.keys()].sort(), ['a', 'b', 'c']);
  assert.equal(readShardedSafetensors(join(ok, 'model.safetensors.index.json')).tensors.size, 3);

  const missingShard = makeSharded(t);
  editIndex(missingShard, (i) => (i.weight_map.c = 'model-00003-of-00003.safetensors'));
  assert.throws(() => readShardedSafetensors(missingShard), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /model-00003-of-00003/.test((e as Error).message));

  const absent = makeSharded(t);
  editIndex(absent, (i) => (i.weight_map.zz = 'model-00002-of-00002.safetensors'));
  assert.throws(() => readShardedSafetensors(absent), (e: unknown) => isBertchatError(e, 'SAFETENSORS') && /"zz"/.test((e as Error).message));

  const dup = makeSharded(t);
  writeSafetensors(join(dup, 'model-00002-of-00002.safetensors'), { c: { shape: [1], data: new Float32Array(1) }, a: { shape: [1], data: new Float32Array(1) } });
  assert.throws(() => readShardedSafetensors(dup), (e: unknown) => isBertchatError(e, 'SAFETENSORS') && /"a" is in two shards/.test((e as Error).message));

  const tricky = makeSharded(t);
  editIndex(tricky, (i) => (i.weight_map.a = '../../etc/passwd'));
  assert.throws(() => readShardedSafetensors(tricky), (e: unknown) => isBertchatError(e, 'SAFETENSORS') && /plain file name/.test((e as Error).message));
});

test('loadModelWeights: NOT_FOUND lists what it looked for and explains .bin pickles', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'pytorch_model.bin'), 'not really');
  assert.throws(
    () => loadModelWeights(dir),
    (e: unknown) =>
      isBertchatError(e, 'NOT_FOUND') &&
      /model\.safetensors and model\.safetensors\.index\.json/.test((e as Error).message) &&
      /pytorch_model\.bin is present.*not supported/.test((e as Error).message),
  );
  assert.throws(() => loadModelWeights(join(dir, 'nope')), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /nope/.test((e as Error).message));
  const src = needShared(t, 'golden', 'gpt2-tiny-random', 'model.safetensors');
  if (!src) return;
  mkdirSync(join(dir, 'm'));
  copyFileSync(src, join(dir, 'm', 'model.safetensors'));
  const w = loadModelWeights(join(dir, 'm'));
  assert.equal(w.tensors.size, 28);
  assert.deepEqual(w.metadata, { format: 'pt' });
});
