// Safetensors writer: same layout as the safetensors library (tensors sorted by dtype rank descending,
// then name; compact JSON header with __metadata__ first, space-padded to 8 bytes), written atomically.
import { endianness } from 'node:os';
import { BertchatError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';
import { DTYPE_RANK, DTYPE_SIZE, f32ToBf16, f32ToF16, isSafetensorsDtype, type SafetensorsDtype, type TensorData } from './dtypes.js';

/** A tensor to write. `dtype` defaults from the array type; F16/BF16 accept Float32Array (rounded to nearest even). */
export interface TensorToWrite {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: TensorData;
}

export type TensorsToWrite = Map<string, TensorToWrite> | Iterable<readonly [string, TensorToWrite]> | Record<string, TensorToWrite>;

/** The default `__metadata__`, as transformers writes it. */
export const DEFAULT_METADATA: Readonly<Record<string, string>> = Object.freeze({ format: 'pt' });

interface Prepared {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

function defaultDtype(data: TensorData): SafetensorsDtype | null {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  return null;
}

function rawBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The little-endian bytes of `data` stored as `dtype` (a view when no conversion is needed). */
function encode(name: string, dtype: SafetensorsDtype, data: TensorData): Uint8Array {
  const natural = defaultDtype(data);
  if (natural === dtype || (dtype === 'BOOL' && natural === 'U8')) return rawBytes(data);
  if ((dtype === 'F16' || dtype === 'BF16') && (data instanceof Float32Array || data instanceof Float64Array)) {
    const out = new Uint16Array(data.length);
    const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
    for (let i = 0; i < data.length; i++) out[i] = conv(data[i]!);
    return rawBytes(out);
  }
  if ((dtype === 'F16' || dtype === 'BF16') && data instanceof Uint16Array) return rawBytes(data); // raw bits
  if (dtype === 'I64' && data instanceof Int32Array) {
    const out = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]!);
    return rawBytes(out);
  }
  if (dtype === 'F32' && data instanceof Float64Array) return rawBytes(Float32Array.from(data));
  throw new BertchatError('SAFETENSORS', `cannot write tensor "${name}" as ${dtype} from a ${data.constructor.name}`, { tensor: name });
}

function entriesOf(tensors: TensorsToWrite): Array<readonly [string, TensorToWrite]> {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (Symbol.iterator in (tensors as object)) return [...(tensors as Iterable<readonly [string, TensorToWrite]>)];
  return Object.entries(tensors as Record<string, TensorToWrite>);
}

/** Compares two strings by their UTF-8 bytes (Rust's String ordering), not by UTF-16 units. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function prepare(tensors: TensorsToWrite): Prepared[] {
  if (endianness() !== 'LE') throw new BertchatError('SAFETENSORS', 'writing safetensors on a big-endian host is not supported');
  const seen = new Set<string>();
  const out: Prepared[] = [];
  for (const [name, t] of entriesOf(tensors)) {
    if (typeof name !== 'string' || name === '__metadata__') throw new BertchatError('SAFETENSORS', `invalid tensor name ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new BertchatError('SAFETENSORS', `tensor "${name}" given twice`, { tensor: name });
    seen.add(name);
    if (!ArrayBuffer.isView(t?.data)) throw new BertchatError('SAFETENSORS', `tensor "${name}" has no typed-array data`, { tensor: name });
    const dtype = t.dtype ?? defaultDtype(t.data);
    if (dtype === null || !isSafetensorsDtype(dtype)) throw new BertchatError('SAFETENSORS', `tensor "${name}": unknown dtype ${String(t.dtype)}`, { tensor: name });
    const shape = Array.from(t.shape);
    let n = 1;
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new BertchatError('SAFETENSORS', `tensor "${name}": bad shape [${shape.join(', ')}]`, { tensor: name });
      n *= d;
    }
    if (n !== t.data.length) {
      throw new BertchatError('SAFETENSORS', `tensor "${name}": shape [${shape.join(', ')}] has ${n} elements but the data has ${t.data.length}`, { tensor: name });
    }
    const bytes = encode(name, dtype, t.data);
    if (bytes.byteLength !== n * DTYPE_SIZE[dtype]) throw new BertchatError('SAFETENSORS', `tensor "${name}": byte size mismatch`, { tensor: name });
    out.push({ name, dtype, shape, bytes });
  }
  out.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareUtf8(a.name, b.name));
  return out;
}

function checkMetadata(metadata: Record<string, string> | null): void {
  if (metadata === null) return;
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new BertchatError('SAFETENSORS', `__metadata__["${k}"] must be a string, got ${typeof v}`);
  }
}

/**
 * Builds the file as byte chunks (8-byte length, padded header, then each tensor's bytes) without
 * concatenating the tensor data.
 *
 * @example
 * const chunks = serializeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * const bytes = Buffer.concat(chunks);
 */
export function serializeSafetensors(tensors: TensorsToWrite, metadata: Record<string, string> | null = DEFAULT_METADATA): Uint8Array[] {
  checkMetadata(metadata);
  const prepared = prepare(tensors);
  // Built by hand so a tensor named "__proto__" cannot touch an object's prototype.
  const parts: string[] = [];
  if (metadata !== null) {
    const m = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${m.join(',')}}`);
  }
  let offset = 0;
  for (const p of prepared) {
    const end = offset + p.bytes.byteLength;
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  let header = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const pad = (8 - (header.length % 8)) % 8;
  if (pad > 0) header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return [len, header, ...prepared.map((p) => p.bytes)];
}

/**
 * Writes tensors to a safetensors file atomically (tmp file + fsync + rename).
 * `metadata` defaults to {"format":"pt"}; pass null to write no `__metadata__`.
 *
 * @example
 * writeSafetensors('out/model.safetensors', new Map([['w', { shape: [2, 2], data: new Float32Array(4) }]]));
 */
export function writeSafetensors(path: string, tensors: TensorsToWrite, metadata: Record<string, string> | null = DEFAULT_METADATA): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Size in bytes a tensor takes in a file once written as its dtype. */
export function writtenByteSize(t: TensorToWrite): number {
  const dtype = t.dtype ?? defaultDtype(t.data);
  if (dtype === null) return t.data.byteLength;
  return t.data.length * DTYPE_SIZE[dtype];
}
