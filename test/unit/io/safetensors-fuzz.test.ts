// Fuzzing the safetensors reader with corrupted files (seeded): every input either parses or throws
// BertchatError('SAFETENSORS'); malformed structure must always be rejected. Never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensorsBuffer, readSafetensors } from '../../../src/io/safetensors.js';
import { serializeSafetensors } from '../../../src/io/safetensors-write.js';
import { BertchatError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';
import { tempDir } from './helpers.js';

type Header = Record<string, any>;

function baseFile(): Buffer {
  return Buffer.concat(
    serializeSafetensors({
      a: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      b: { dtype: 'F16', shape: [4], data: new Uint16Array([0x3c00, 0x7c00, 0x0001, 0x7e00]) },
      c: { shape: [2], data: new BigInt64Array([7n, -9n]) },
      d: { shape: [5], data: new Uint8Array([1, 2, 3, 4, 5]) },
      e: { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3f80, 0xc000]) },
      f: { shape: [3], data: new Float64Array([0.5, -1, 2]) },
      s: { shape: [], data: new Float32Array([9]) },
      z: { shape: [0, 4], data: new Float32Array(0) },
    }),
  );
}

function split(buf: Buffer): { header: Header; data: Buffer } {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString()), data: buf.subarray(8 + n) };
}

function build(header: unknown, data: Uint8Array, raw?: string): Buffer {
  let h = Buffer.from(raw ?? JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

type Outcome = 'ok' | 'error';

/** Parses; anything but success or a SAFETENSORS BertchatError fails the test. */
function attempt(buf: Uint8Array, label: string): Outcome {
  try {
    parseSafetensorsBuffer(buf, label);
    return 'ok';
  } catch (err) {
    if (err instanceof BertchatError && err.code === 'SAFETENSORS') {
      assert.ok(err.message.includes(label), `message names the file: ${err.message}`);
      return 'error';
    }
    throw new Error(`${label}: unexpected ${String(err)}`, { cause: err });
  }
}

const tensorNames = (h: Header): string[] => Object.keys(h).filter((k) => k !== '__metadata__');

test('fuzz: ≥1000 corrupted safetensors files parse or throw SAFETENSORS, never anything else', (t) => {
  const rng = new Rng(20240601);
  const base = baseFile();
  assert.equal(attempt(base, 'base'), 'ok');
  const counts: Record<string, { ok: number; error: number }> = {};
  const run = (kind: string, buf: Uint8Array, mustFail: boolean): void => {
    const out = attempt(buf, `${kind}.safetensors`);
    counts[kind] ??= { ok: 0, error: 0 };
    counts[kind]![out]++;
    if (mustFail) assert.equal(out, 'error', `${kind} must be rejected`);
  };
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;

  // 1. truncated anywhere
  for (let i = 0; i < 150; i++) run('truncated', base.subarray(0, rng.int(base.length)), true);
  // 2. header length: huge, past the end, tiny, random
  const lens = [2n ** 53n, 2n ** 64n - 1n, 2n ** 63n, 100_000_001n, BigInt(base.length), BigInt(base.length - 7), 0n, 1n];
  for (let i = 0; i < 100; i++) {
    const b = Buffer.from(base);
    b.writeBigUInt64LE(i < lens.length ? lens[i]! : BigInt(base.length + rng.int(2 ** 30)));
    run('header_length', b, true);
  }
  const { header, data } = split(base);
  // 3. non-JSON: random bytes of random length, random printable text
  for (let i = 0; i < 100; i++) {
    const n = 1 + rng.int(200);
    const junk = Buffer.alloc(n);
    for (let j = 0; j < n; j++) junk[j] = i % 2 === 0 ? rng.int(256) : 32 + rng.int(95);
    run('non_json', build(null, data, junk.toString('latin1')), true);
  }
  // 4. JSON that is not an object
  for (const raw of ['[]', '[1,2]', '"x"', '42', 'null', 'true', '[{"a":1}]', '{"a":1', '\uFEFF{}', '{}\u0000']) run('not_object', build(null, data, raw), true);
  for (const depth of [1000, 100_000]) run('deep_nesting', build(null, data, '['.repeat(depth) + ']'.repeat(depth)), true);
  // 5. wrong dtype
  const dtypes = ['F33', 'f32', '', 'INT', 123, null, true, ['F32'], { d: 1 }, 'F8_E4M3', 'float32', 'F 32'];
  for (let i = 0; i < 120; i++) {
    const h = structuredClone(header);
    const name = pick(tensorNames(h).filter((n) => n !== 'z'));
    h[name].dtype = pick(dtypes);
    if (i % 7 === 0) delete h[name].dtype;
    run('wrong_dtype', build(h, data), true);
  }
  // 6. shape disagrees with the byte length, or is not a shape
  const badShapes = (s: number[]): unknown[] => [
    [...s, 2], s.map((d, j) => (j === 0 ? d * (2 + rng.int(5)) : d)), [-1, ...s], [1.5], ['2'], [2 ** 53], [2 ** 60, 2 ** 60], [[2, 3]], 'x', null, {}, [Number.MAX_VALUE], [1e300, 0.5],
  ];
  for (let i = 0; i < 150; i++) {
    const h = structuredClone(header);
    const name = pick(tensorNames(h).filter((n) => n !== 'z' && n !== 's'));
    h[name].shape = pick(badShapes(h[name].shape));
    if (i % 11 === 0) delete h[name].shape;
    run('shape_mismatch', build(h, data), true);
  }
  // 7. offsets out of range or malformed
  for (let i = 0; i < 150; i++) {
    const h = structuredClone(header);
    const name = pick(tensorNames(h).filter((n) => n !== 'z'));
    const [b0, e0] = h[name].data_offsets as [number, number];
    const choices: unknown[] = [
      [b0, data.length + 1 + rng.int(100)], [e0, b0], [-1, e0], [b0 + 0.5, e0], [b0], [b0, e0, 0], ['0', e0], null, [2 ** 53, 2 ** 53 + 8],
      [data.length + rng.int(10), data.length + 100], [b0 + 1 + rng.int(3), e0 + 1 + rng.int(3)], { begin: b0, end: e0 },
    ];
    h[name].data_offsets = pick(choices);
    if (i % 13 === 0) delete h[name].data_offsets;
    run('offsets', build(h, data), true);
  }
  // 8. overlapping tensors (same length so each entry alone is consistent)
  for (let i = 0; i < 80; i++) {
    const h = structuredClone(header);
    const names = tensorNames(h).filter((n) => n !== 'z');
    const a = pick(names);
    const len = h[a].data_offsets[1] - h[a].data_offsets[0];
    const begin = rng.int(data.length - len + 1);
    if (begin === h[a].data_offsets[0]) continue;
    h[a].data_offsets = [begin, begin + len];
    run('overlap', build(h, data), true);
  }
  // 9. holes: trailing bytes, or a tensor removed from the header
  for (let i = 0; i < 80; i++) {
    if (i % 2 === 0) {
      run('hole', build(header, Buffer.concat([data, Buffer.alloc(1 + rng.int(64))])), true);
    } else {
      const h = structuredClone(header);
      const names = tensorNames(h).filter((n) => n !== 'z' && n !== tensorNames(h).at(-1));
      delete h[pick(names)];
      run('hole', build(h, data), true);
    }
  }
  // 10. __metadata__ that is not a string map
  for (const m of [[], 'pt', 1, { format: 1 }, { format: null }, { a: ['x'] }, { b: { c: 'd' } }]) run('metadata', build({ ...header, __metadata__: m }, data), true);
  // 11. random byte flips anywhere in a valid file (flips in the data are valid files)
  for (let i = 0; i < 400; i++) {
    const b = Buffer.from(base);
    const flips = 1 + rng.int(8);
    for (let j = 0; j < flips; j++) b[rng.int(b.length)] = rng.int(256);
    run('byte_flip', b, false);
  }
  // 12. flips restricted to the header and the length field
  const n = Number(base.readBigUInt64LE(0));
  for (let i = 0; i < 150; i++) {
    const b = Buffer.from(base);
    b[rng.int(8 + n)] ^= 1 << rng.int(8);
    run('header_flip', b, false);
  }

  t.diagnostic(`outcomes ${JSON.stringify(counts)}`);
  const total = Object.values(counts).reduce((s, c) => s + c.ok + c.error, 0);
  assert.ok(total >= 1000, `ran ${total} cases`);
  assert.ok(counts.byte_flip!.ok > 0 && counts.byte_flip!.error > 0, JSON.stringify(counts.byte_flip));
});

test('fuzz: corrupted files on disk through readSafetensors', (t) => {
  const dir = tempDir(t);
  const rng = new Rng(7);
  const base = baseFile();
  for (let i = 0; i < 60; i++) {
    const b = i % 2 === 0 ? base.subarray(0, rng.int(base.length)) : Buffer.from(base);
    if (i % 2 === 1) b.writeBigUInt64LE(BigInt(rng.int(2 ** 31)) * BigInt(1 + rng.int(1000)));
    const p = join(dir, `f${i}.safetensors`);
    writeFileSync(p, b);
    assert.throws(() => readSafetensors(p), (e: unknown) => e instanceof BertchatError && e.code === 'SAFETENSORS' && e.message.includes(p));
  }
});

test('fuzz: a child process parsing corrupted files exits cleanly (no crash, no abort)', (t) => {
  const dir = tempDir(t);
  const mod = new URL('../../../src/io/safetensors.js', import.meta.url).href;
  const rngMod = new URL('../../../src/util/rng.js', import.meta.url).href;
  const base = baseFile();
  writeFileSync(join(dir, 'base.bin'), base);
  const script = `
    import { readFileSync } from 'node:fs';
    const { parseSafetensorsBuffer } = await import(${JSON.stringify(mod)});
    const { Rng } = await import(${JSON.stringify(rngMod)});
    const base = readFileSync(${JSON.stringify(join(dir, 'base.bin'))});
    const rng = new Rng(99);
    let ok = 0, err = 0;
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(base.subarray(0, i % 3 === 0 ? rng.int(base.length) : base.length));
      for (let j = 0; j < 4; j++) if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
      if (i % 5 === 0 && b.length >= 8) b.writeBigUInt64LE(2n ** 53n + BigInt(i));
      try { parseSafetensorsBuffer(b, 'child'); ok++; } catch (e) { if (e.code !== 'SAFETENSORS') { console.error(e); process.exit(3); } err++; }
    }
    console.log(JSON.stringify({ ok, err }));
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  const { ok, err } = JSON.parse(res.stdout.trim()) as { ok: number; err: number };
  assert.equal(ok + err, 300);
});
