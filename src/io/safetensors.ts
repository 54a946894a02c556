// Safetensors reader: one read of the whole file into one Buffer, then zero-copy typed-array views
// (a tensor whose offset is not aligned to its element size is copied, alone). F16/BF16 become Float32Array.
// Header validation lives in safetensors-header.ts; the writer in safetensors-write.ts.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { endianness } from 'node:os';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { DTYPE_SIZE, bf16ArrayToF32, f16ArrayToF32, type SafetensorsDtype, type TensorData } from './dtypes.js';
import { parseHeader, readHeaderLength, type HeaderEntry } from './safetensors-header.js';

export type { SafetensorsDtype, TensorData } from './dtypes.js';

/** One tensor as loaded: `dtype` is the dtype stored in the file, `data` the (possibly converted) values. */
export interface SafetensorsTensor {
  /** The dtype in the file. F16/BF16 data is converted to Float32Array; I64 to Int32Array by default. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  /** Tensors in file order (by offset). */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` string map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

export interface ReadSafetensorsOptions {
  /**
   * How to hand out I64 tensors: 'int32' (default) gives an Int32Array and throws, naming the tensor,
   * when a value does not fit; 'bigint' gives a BigInt64Array.
   */
  int64?: 'int32' | 'bigint';
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new BertchatError('SAFETENSORS', 'safetensors data is little-endian; big-endian hosts are not supported');
}

type ViewCtor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number };

/** A view on `bytes` when aligned, otherwise a copy of just these bytes. */
function viewOrCopy<T extends ArrayBufferView>(Ctor: ViewCtor<T>, bytes: Uint8Array): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  const count = bytes.byteLength / size;
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const out = new Ctor(count);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

/** Turns one tensor's raw bytes (little-endian) into the typed array the io layer hands out. */
export function decodeTensor(entry: HeaderEntry, bytes: Uint8Array, file: string, opts: ReadSafetensorsOptions = {}): TensorData {
  switch (entry.dtype) {
    case 'F32': return viewOrCopy(Float32Array, bytes);
    case 'F64': return viewOrCopy(Float64Array, bytes);
    case 'I32': return viewOrCopy(Int32Array, bytes);
    case 'U32': return viewOrCopy(Uint32Array, bytes);
    case 'I16': return viewOrCopy(Int16Array, bytes);
    case 'U16': return viewOrCopy(Uint16Array, bytes);
    case 'I8': return viewOrCopy(Int8Array, bytes);
    case 'U8':
    case 'BOOL': return viewOrCopy(Uint8Array, bytes);
    case 'U64': return viewOrCopy(BigUint64Array, bytes);
    case 'F16': return f16ArrayToF32(viewOrCopy(Uint16Array, bytes));
    case 'BF16': return bf16ArrayToF32(viewOrCopy(Uint16Array, bytes));
    case 'I64': {
      if (opts.int64 === 'bigint') return viewOrCopy(BigInt64Array, bytes);
      // Each int64 is (lo, hi) as two int32: it fits in int32 exactly when hi is lo's sign extension.
      const pairs = viewOrCopy(Int32Array, bytes);
      const out = new Int32Array(pairs.length / 2);
      for (let i = 0; i < out.length; i++) {
        const lo = pairs[2 * i]!;
        if (pairs[2 * i + 1] !== lo >> 31) {
          const v = new DataView(bytes.buffer, bytes.byteOffset + 8 * i, 8).getBigInt64(0, true);
          throw new BertchatError(
            'SAFETENSORS',
            `${file}: I64 tensor "${entry.name}" holds ${v} at flat index ${i}, outside int32; read it with { int64: 'bigint' }`,
            { file, tensor: entry.name },
          );
        }
        out[i] = lo;
      }
      return out;
    }
    default:
      throw new BertchatError('SAFETENSORS', `${file}: tensor "${entry.name}" has dtype ${entry.dtype}, which bertchat cannot load`, {
        file,
        tensor: entry.name,
      });
  }
}

/**
 * Parses a whole safetensors file held in memory. Tensors are views into `buf` where aligned.
 *
 * @example
 * const { tensors } = parseSafetensorsBuffer(readFileSync('model.safetensors'), 'model.safetensors');
 * tensors.get('transformer.wte.weight')!.shape; // [300, 32]
 */
export function parseSafetensorsBuffer(buf: Uint8Array, nameForErrors = '<buffer>', opts: ReadSafetensorsOptions = {}): SafetensorsFile {
  checkLittleEndian();
  const header = parseHeader(buf, buf.length, nameForErrors);
  const dataStart = 8 + header.headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) {
    const data = decodeTensor(e, buf.subarray(dataStart + e.begin, dataStart + e.end), nameForErrors, opts);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

function ioError(path: string, err: unknown): BertchatError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new BertchatError('NOT_FOUND', `safetensors file not found: ${path}`, { file: path }, { cause: err });
  return new BertchatError('IO', `cannot read ${path}: ${e.message}`, { file: path }, { cause: err });
}

/** Reads exactly `length` bytes at `position` into `into` (loops over short reads, 1 GiB per call). */
function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
    if (n === 0) throw new BertchatError('SAFETENSORS', `${path}: file shrank while being read (got ${done} of ${into.length} bytes)`, { file: path });
    done += n;
  }
}

/**
 * Reads a safetensors file. The file is read once into one Buffer (files larger than a Buffer
 * can hold are read tensor by tensor instead).
 *
 * @example
 * const { tensors, metadata } = readSafetensors('golden/gpt2-tiny-random/model.safetensors');
 * const wte = tensors.get('transformer.wte.weight')!; // { dtype: 'F32', shape: [300, 32], data: Float32Array }
 */
export function readSafetensors(path: string, opts: ReadSafetensorsOptions = {}): SafetensorsFile {
  checkLittleEndian();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= bufferConstants.MAX_LENGTH) {
      // allocUnsafeSlow: a fresh ArrayBuffer at offset 0 (never the shared pool), pages touched only by the read
      const buf = Buffer.allocUnsafeSlow(size);
      readFully(fd, buf, 0, path);
      return parseSafetensorsBuffer(buf, path, opts);
    }
    return readLargeFile(fd, size, path, opts);
  } catch (err) {
    if (err instanceof BertchatError) throw err;
    throw ioError(path, err);
  } finally {
    closeSync(fd);
  }
}

/** Files bigger than one Buffer: header first, then one allocation per tensor. */
function readLargeFile(fd: number, size: number, path: string, opts: ReadSafetensorsOptions): SafetensorsFile {
  log.debug(`${path}: ${size} bytes is more than one Buffer holds; reading tensor by tensor`);
  const lenBytes = Buffer.alloc(8);
  readFully(fd, lenBytes, 0, path);
  const n = readHeaderLength(lenBytes, size, path);
  const prefix = Buffer.alloc(8 + n);
  readFully(fd, prefix, 0, path);
  const header = parseHeader(prefix, size, path);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) {
    const bytes = Buffer.allocUnsafeSlow(e.end - e.begin);
    readFully(fd, bytes, 8 + n + e.begin, path);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeTensor(e, bytes, path, opts) });
  }
  return { tensors, metadata: header.metadata };
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Size in bytes that a tensor of this dtype and shape occupies in a file. */
export function byteSize(dtype: SafetensorsDtype, shape: readonly number[]): number {
  return numel(shape) * DTYPE_SIZE[dtype];
}
