// Safetensors reader/writer: golden checkpoints, round trips, the library's byte layout, F16/BF16, I64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { needShared, sharedPath } from '../../helpers/shared.js';
import { parseSafetensorsBuffer, readSafetensors } from '../../../src/io/safetensors.js';
import { serializeSafetensors, writeSafetensors } from '../../../src/io/safetensors-write.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../../src/io/dtypes.js';
import { writeFileAtomic } from '../../../src/io/atomic.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { bytesOf, tempDir } from './helpers.js';

function headerOf(buf: Buffer): { n: number; json: Record<string, unknown>; names: string[] } {
  const n = Number(buf.readBigUInt64LE(0));
  const json = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  return { n, json, names: Object.keys(json).filter((k) => k !== '__metadata__') };
}

function goldenSafetensors(): string[] {
  const root = sharedPath('golden');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(join(root, d.name))) if (f.endsWith('.safetensors')) out.push(join(root, d.name, f));
  }
  return out.sort();
}

test('every golden .safetensors file loads, zero-copy for F32/F64', (t) => {
  const files = goldenSafetensors();
  if (files.length === 0) return t.skip('missing shared/golden');
  assert.ok(files.length >= 9, `found ${files.length} files`);
  for (const f of files) {
    const st = readSafetensors(f);
    assert.ok(st.tensors.size > 0, f);
    assert.deepEqual(st.metadata?.format ?? 'pt', 'pt');
    let shared: ArrayBufferLike | null = null;
    for (const [name, tt] of st.tensors) {
      assert.ok(tt.dtype === 'F32' || tt.dtype === 'F64', `${f} ${name} ${tt.dtype}`);
      assert.equal(tt.data.constructor, tt.dtype === 'F32' ? Float32Array : Float64Array);
      assert.equal(tt.data.length, tt.shape.reduce((a, b) => a * b, 1));
      shared ??= tt.data.buffer;
      assert.equal(tt.data.buffer, shared, `${name} is a view into the one file buffer`);
    }
  }
});

test('golden shapes match the README', (t) => {
  const g = needShared(t, 'golden', 'gpt2-tiny-random', 'model.safetensors');
  if (!g) return;
  const gpt2 = readSafetensors(g).tensors;
  assert.equal(gpt2.size, 28);
  const shape = (m: Map<string, { shape: number[] }>, k: string): number[] | undefined => m.get(k)?.shape;
  assert.deepEqual(shape(gpt2, 'transformer.wte.weight'), [300, 32]);
  assert.deepEqual(shape(gpt2, 'transformer.wpe.weight'), [64, 32]);
  assert.deepEqual(shape(gpt2, 'transformer.h.0.attn.c_attn.weight'), [32, 96]);
  assert.deepEqual(shape(gpt2, 'transformer.h.1.attn.c_attn.bias'), [96]);
  assert.deepEqual(shape(gpt2, 'transformer.h.0.attn.c_proj.weight'), [32, 32]);
  assert.deepEqual(shape(gpt2, 'transformer.h.0.mlp.c_fc.weight'), [32, 128]);
  assert.deepEqual(shape(gpt2, 'transformer.h.0.mlp.c_proj.weight'), [128, 32]);
  assert.equal(gpt2.has('lm_head.weight'), false);

  const legacy = readSafetensors(sharedPath('golden', 'gpt2-tiny-random', 'model.legacy-names.safetensors')).tensors;
  assert.deepEqual(shape(legacy, 'h.0.attn.bias'), [1, 1, 64, 64]);
  assert.equal(legacy.get('h.0.attn.masked_bias')!.data.length, 1);
  assert.equal(legacy.get('h.0.attn.masked_bias')!.data[0], -1e4);

  const bert = readSafetensors(sharedPath('golden', 'bert-tiny-random', 'model.safetensors')).tensors;
  assert.equal(bert.size, 41);
  assert.deepEqual(shape(bert, 'bert.encoder.layer.0.intermediate.dense.weight'), [37, 32]);
  assert.deepEqual(shape(bert, 'classifier.weight'), [3, 32]);

  const mlm = readSafetensors(sharedPath('golden', 'bert-tiny-random-mlm', 'model.safetensors')).tensors;
  assert.equal([...mlm.keys()].some((k) => k.startsWith('bert.pooler.') || k.startsWith('cls.predictions.decoder.')), false);
  assert.deepEqual(shape(mlm, 'cls.predictions.bias'), [239]);

  const llama = readSafetensors(sharedPath('golden', 'llama-tiny-random', 'model.safetensors')).tensors;
  assert.equal(llama.size, 21);
  assert.deepEqual(shape(llama, 'model.layers.0.self_attn.q_proj.weight'), [32, 32]);
  assert.deepEqual(shape(llama, 'model.layers.0.self_attn.k_proj.weight'), [16, 32]);
  assert.deepEqual(shape(llama, 'model.layers.1.mlp.down_proj.weight'), [32, 64]);
  assert.deepEqual(shape(llama, 'lm_head.weight'), [300, 32]);
});

test('expected.safetensors (F32 + F64) loads with .f64 twins', (t) => {
  const p = needShared(t, 'golden', 'bert-tiny-random', 'expected.safetensors');
  if (!p) return;
  const { tensors } = readSafetensors(p);
  const a = tensors.get('single.logits')!;
  const b = tensors.get('single.logits.f64')!;
  assert.equal(a.dtype, 'F32');
  assert.equal(b.dtype, 'F64');
  assert.ok(b.data instanceof Float64Array);
  assert.deepEqual(a.shape, b.shape);
  for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(Number(a.data[i]) - Number(b.data[i])) < 1e-5);
});

test('write → read round trip is bit-identical and orders like the safetensors library', (t) => {
  const files = goldenSafetensors();
  if (files.length === 0) return t.skip('missing shared/golden');
  const dir = tempDir(t);
  for (const f of files) {
    const orig = readFileSync(f);
    const st = readSafetensors(f);
    const out = join(dir, 'rt.safetensors');
    writeSafetensors(out, st.tensors, st.metadata);
    const again = readSafetensors(out);
    assert.deepEqual([...again.tensors.keys()].sort(), [...st.tensors.keys()].sort());
    for (const [name, tt] of st.tensors) {
      const u = again.tensors.get(name)!;
      assert.equal(u.dtype, tt.dtype);
      assert.deepEqual(u.shape, tt.shape);
      assert.ok(bytesOf(u.data).equals(bytesOf(tt.data)), `${f}: ${name} bytes differ`);
    }
    assert.deepEqual(again.metadata, st.metadata);
    // The golden files were written in the library's order (dtype rank descending, then name):
    // same tensor order in the header and a byte-identical data section.
    const written = readFileSync(out);
    const ho = headerOf(orig);
    const hw = headerOf(written);
    assert.deepEqual(hw.names, ho.names, `${f}: header order`);
    assert.ok(written.subarray(8 + hw.n).equals(orig.subarray(8 + ho.n)), `${f}: data section`);
    assert.equal(hw.n % 8, 0);
    assert.equal(Object.keys(hw.json)[0], '__metadata__');
  }
});

test('byte layout matches the safetensors library exactly', () => {
  // safetensors' own test (forced alignment): "attn0" F32 [1,1,2,3] = 0..5, no metadata
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const got = Buffer.concat(serializeSafetensors(new Map([['attn0', { shape: [1, 1, 2, 3], data }]]), null));
  const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
  const want = Buffer.concat([Buffer.from([72, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(header), bytesOf(data)]);
  assert.ok(got.equals(want), got.toString('latin1'));
  // empty file with metadata
  const empty = Buffer.concat(serializeSafetensors(new Map(), { framework: 'pt' }));
  assert.ok(empty.equals(Buffer.concat([Buffer.from([40, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"__metadata__":{"framework":"pt"}}     ')])));
  assert.equal(parseSafetensorsBuffer(empty).tensors.size, 0);
});

test('writer sorts by dtype rank descending then UTF-8 name; every tensor aligned', () => {
  const tensors = new Map<string, { shape: number[]; data: any; dtype?: any }>([
    ['b', { shape: [3], data: new Uint8Array([1, 2, 3]) }],
    ['a', { shape: [2], data: new Float32Array([1, 2]) }],
    ['z', { shape: [1], data: new BigInt64Array([5n]) }],
    ['c', { shape: [2], data: new Float64Array([1, 2]) }],
    ['\u{1F600}', { shape: [1], data: new Float32Array([3]) }],
    ['\uFF21', { shape: [1], data: new Float32Array([4]) }], // U+FF21 sorts before U+1F600 in UTF-8, after it in UTF-16
    ['h', { shape: [2], data: new Float32Array([1, -2]), dtype: 'F16' }],
    ['i', { shape: [2], data: new Int32Array([7, -8]) }],
  ]);
  const buf = Buffer.concat(serializeSafetensors(tensors));
  assert.deepEqual(headerOf(buf).names, ['z', 'c', 'a', '\uFF21', '\u{1F600}', 'i', 'h', 'b']);
  const st = parseSafetensorsBuffer(buf, 'mem', { int64: 'int32' });
  for (const [, tt] of st.tensors) assert.equal(tt.data.byteOffset % tt.data.BYTES_PER_ELEMENT, 0);
  assert.deepEqual(Array.from(st.tensors.get('h')!.data as Float32Array), [1, -2]);
  assert.deepEqual(Array.from(st.tensors.get('z')!.data as Int32Array), [5]);
  assert.deepEqual(Array.from(st.tensors.get('i')!.data as Int32Array), [7, -8]);
});

test('F16 conversion: known values, inf, nan, subnormals, rounding', () => {
  const cases: Array<[number, number]> = [
    [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xbc00, -1], [0x4000, 2], [0x3555, 0.333251953125],
    [0x7bff, 65504], [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
    [0x7c00, Infinity], [0xfc00, -Infinity],
  ];
  for (const [bits, v] of cases) {
    assert.ok(Object.is(f16ToF32(bits), v), `f16 ${bits.toString(16)} → ${v}`);
    assert.equal(f32ToF16(v), bits, `${v} → f16 ${bits.toString(16)}`);
  }
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Number.isNaN(f16ToF32(0x7c01)));
  assert.equal(f32ToF16(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(f32ToF16(NaN) & 0x3ff, 0);
  assert.equal(f32ToF16(65520), 0x7c00); // rounds up to inf
  assert.equal(f32ToF16(65519), 0x7bff);
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(f32ToF16(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal → 0
  assert.equal(f32ToF16(1.5 * 2 ** -24), 0x0002); // tie → even
  assert.equal(f32ToF16(2 ** -26), 0x0000);
  // every finite f16 survives f16 → f32 → f16
  for (let b = 0; b < 65536; b++) {
    if ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0) continue;
    assert.equal(f32ToF16(f16ToF32(b)), b);
  }
});

test('BF16 conversion: known values, inf, nan, rounding', () => {
  const cases: Array<[number, number]> = [[0x3f80, 1], [0xbf80, -1], [0x4049, 3.140625], [0x7f80, Infinity], [0xff80, -Infinity], [0x0001, 2 ** -133], [0x8000, -0]];
  for (const [bits, v] of cases) {
    assert.ok(Object.is(bf16ToF32(bits), v));
    assert.equal(f32ToBf16(v), bits);
  }
  assert.ok(Number.isNaN(bf16ToF32(0x7fc0)));
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // tie → even
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
});

test('F16 and BF16 tensors load as Float32Array keeping the file dtype', () => {
  const h = new Uint16Array([0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8000]);
  const b = new Uint16Array([0x3f80, 0x7f80, 0x7fc0, 0xc000]);
  const buf = Buffer.concat(serializeSafetensors({ h: { dtype: 'F16', shape: [2, 3], data: h }, b: { dtype: 'BF16', shape: [4], data: b } }));
  const st = parseSafetensorsBuffer(buf, 'mem');
  const th = st.tensors.get('h')!;
  assert.equal(th.dtype, 'F16');
  assert.ok(th.data instanceof Float32Array);
  assert.deepEqual(Array.from(th.data as Float32Array).map(String), ['1', 'Infinity', '-Infinity', 'NaN', String(Math.fround(2 ** -24)), '0']);
  assert.ok(Object.is((th.data as Float32Array)[5], -0));
  const tb = st.tensors.get('b')!;
  assert.equal(tb.dtype, 'BF16');
  assert.deepEqual(Array.from(tb.data as Float32Array).map(String), ['1', 'Infinity', 'NaN', '-2']);
});

test('I64: Int32Array when values fit, error naming the tensor otherwise, BigInt64Array on request', () => {
  const ok = Buffer.concat(serializeSafetensors({ ids: { shape: [3], data: new BigInt64Array([0n, -5n, 2147483647n]) } }));
  assert.deepEqual(Array.from(parseSafetensorsBuffer(ok, 'a').tensors.get('ids')!.data as Int32Array), [0, -5, 2147483647]);
  const big = Buffer.concat(serializeSafetensors({ pos: { shape: [2], data: new BigInt64Array([1n, 2n ** 40n]) } }));
  assert.throws(() => parseSafetensorsBuffer(big, 'big.safetensors'), (e: unknown) => isBertchatError(e, 'SAFETENSORS') && /"pos"/.test((e as Error).message) && /big\.safetensors/.test((e as Error).message));
  const asBig = parseSafetensorsBuffer(big, 'b', { int64: 'bigint' }).tensors.get('pos')!.data as BigInt64Array;
  assert.deepEqual(Array.from(asBig), [1n, 2n ** 40n]);
  const i32 = Buffer.concat(serializeSafetensors({ x: { shape: [2], data: new Int32Array([3, -4]), dtype: 'I64' } }));
  assert.equal(headerOf(i32).json.x && (headerOf(i32).json.x as { dtype: string }).dtype, 'I64');
  assert.deepEqual(Array.from(parseSafetensorsBuffer(i32).tensors.get('x')!.data as Int32Array), [3, -4]);
});

test('unaligned data offsets: that tensor alone is copied, values intact', () => {
  // Header of odd length (not padded to 8): F32 data starts at an offset not divisible by 4.
  const data = new Float32Array([1.5, -2.25, 3]);
  const bytes = new Uint8Array([7]);
  const header = Buffer.from('{"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[3],"data_offsets":[1,13]}} ');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const pooled = Buffer.concat([len, header, bytesOf(bytes), bytesOf(data)]);
  const file = new Uint8Array(pooled.length); // own ArrayBuffer at offset 0, so the F32 offset really is unaligned
  file.set(pooled);
  assert.notEqual((8 + header.length + 1) % 4, 0);
  const st = parseSafetensorsBuffer(file, 'odd');
  const f = st.tensors.get('f')!.data as Float32Array;
  assert.deepEqual(Array.from(f), [1.5, -2.25, 3]);
  assert.ok(f.buffer !== file.buffer, 'the unaligned tensor is a copy');
  assert.ok(st.tensors.get('u')!.data.buffer === file.buffer, 'the aligned tensor is a view');
});

test('other dtypes round trip: U8, BOOL, I8, I16, U16, U32, U64, F64', (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'x.safetensors');
  const src = {
    u8: { shape: [2], data: new Uint8Array([0, 255]) },
    bool: { dtype: 'BOOL' as const, shape: [2], data: new Uint8Array([1, 0]) },
    i8: { shape: [2], data: new Int8Array([-128, 127]) },
    i16: { shape: [1], data: new Int16Array([-3]) },
    u16: { shape: [1], data: new Uint16Array([65535]) },
    u32: { shape: [1], data: new Uint32Array([4e9]) },
    u64: { shape: [1], data: new BigUint64Array([2n ** 63n]) },
    f64: { shape: [1, 1], data: new Float64Array([Math.PI]) },
  };
  writeSafetensors(p, src);
  const st = readSafetensors(p);
  for (const [k, v] of Object.entries(src)) {
    const got = st.tensors.get(k)!;
    assert.equal(got.data.constructor, v.data.constructor, k);
    assert.ok(bytesOf(got.data).equals(bytesOf(v.data)), k);
  }
  assert.equal(st.tensors.get('bool')!.dtype, 'BOOL');
  assert.deepEqual(st.metadata, { format: 'pt' });
});

test('writer validates shapes and names', () => {
  assert.throws(() => serializeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }), (e: unknown) => isBertchatError(e, 'SAFETENSORS') && /"w"/.test((e as Error).message));
  assert.throws(() => serializeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }), (e: unknown) => isBertchatError(e, 'SAFETENSORS'));
  assert.throws(() => serializeSafetensors([['__metadata__', { shape: [1], data: new Float32Array(1) }]]), (e: unknown) => isBertchatError(e, 'SAFETENSORS'));
  assert.throws(() => serializeSafetensors([['a', { shape: [1], data: new Float32Array(1) }], ['a', { shape: [1], data: new Float32Array(1) }]]), (e: unknown) => isBertchatError(e, 'SAFETENSORS'));
  assert.throws(() => serializeSafetensors({ w: { shape: [1], data: new Int8Array(1), dtype: 'F32' } }), (e: unknown) => isBertchatError(e, 'SAFETENSORS'));
  // a tensor named __proto__ is just a name
  const buf = Buffer.concat(serializeSafetensors(JSON.parse('{"__proto__": 1}') && new Map([['__proto__', { shape: [1], data: new Float32Array([2]) }]])));
  assert.deepEqual(Array.from(parseSafetensorsBuffer(buf).tensors.get("__proto__")!.data as Float32Array), [2]);
});

test('readSafetensors: a missing file is NOT_FOUND naming it', () => {
  assert.throws(() => readSafetensors('/nonexistent/dir/model.safetensors'), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /nonexistent\/dir\/model\.safetensors/.test((e as Error).message));
});

test('writeFileAtomic: replaces the file, leaves no temp file, cleans up on error', (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'sub', 'f.txt');
  writeFileAtomic(p, 'one');
  writeFileAtomic(p, [Buffer.from('tw'), new Uint8Array([111])]);
  assert.equal(readFileSync(p, 'utf8'), 'two');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['f.txt']);
  function* failing(): Generator<Uint8Array> {
    yield Buffer.from('partial');
    throw new Error('boom');
  }
  assert.throws(() => writeFileAtomic(p, failing()), (e: unknown) => isBertchatError(e, 'IO') && /boom/.test((e as Error).message));
  assert.equal(readFileSync(p, 'utf8'), 'two');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['f.txt']);
  writeFileSync(join(dir, 'plain'), 'x');
  assert.throws(() => writeFileAtomic(join(dir, 'plain', 'child'), 'y'), (e: unknown) => isBertchatError(e, 'IO'));
});
