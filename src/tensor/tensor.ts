// The Tensor: a typed-array storage seen through (shape, strides, offset), float32 or int32,
// with an optional autograd node. Views (reshape, transpose, slice) share storage; math lives in ops/.
import type { GradNode } from './autograd.js';
import { runBackward } from './autograd.js';
import { contiguousStrides, numel, shapeStr, type Shape } from './shape.js';
import { BertchatError } from '../util/errors.js';
import { getBackend } from './backend/index.js';
import { add } from './ops/elementwise.js';
import * as views from './ops/views.js';

export type DType = 'float32' | 'int32';
export type Storage = Float32Array | Int32Array;

export class Tensor {
  /** Storage, possibly shared with other views. */
  data: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. Parameters set it; op outputs inherit it. */
  requiresGrad = false;
  /** Accumulated gradient (leaves only). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, while the graph is alive. */
  node: GradNode | null = null;

  constructor(data: Storage, shape: Shape, strides?: Shape, offset = 0) {
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    if (!strides && offset + numel(shape) > data.length) {
      throw new BertchatError('SHAPE_MISMATCH', `Tensor: shape ${shapeStr(shape)} needs ${numel(shape)} elements, storage has ${data.length - offset}`);
    }
  }

  get size(): number {
    return numel(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }

  /** True when elements are laid out row-major without gaps (offset may be non-zero). */
  isContiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== expect) return false;
      expect *= d;
    }
    return true;
  }

  /** Float32 storage; throws a DTYPE error naming `op` for int tensors. */
  f32(op = 'op'): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new BertchatError('DTYPE', `${op}: expected a float32 tensor, got ${this.dtype} ${shapeStr(this.shape)}`);
    return this.data;
  }

  /** Int32 storage; throws a DTYPE error naming `op` for float tensors. */
  i32(op = 'op'): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new BertchatError('DTYPE', `${op}: expected an int32 tensor, got ${this.dtype} ${shapeStr(this.shape)}`);
    return this.data;
  }

  /** The elements in row-major order as a typed array: a view when contiguous, else a copy. */
  values(): Storage {
    if (this.isContiguous()) return this.data.subarray(this.offset, this.offset + this.size);
    const out = this.data instanceof Int32Array ? new Int32Array(this.size) : new Float32Array(this.size);
    getBackend().copyStrided(this.shape, this.data, this.offset, this.strides, out, 0);
    return out;
  }

  /** Float32 elements in row-major order (view when contiguous). */
  floats(op = 'op'): Float32Array {
    this.f32(op);
    return this.values() as Float32Array;
  }

  /** A copy with its own contiguous storage (not recorded by autograd). */
  clone(): Tensor {
    const v = this.values();
    return new Tensor(v === this.data || v.buffer === this.data.buffer ? v.slice() : v, this.shape);
  }

  /** Contiguous version (itself when already contiguous); differentiable. */
  contiguous(): Tensor {
    return views.contiguous(this);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new BertchatError('SHAPE_MISMATCH', `item: tensor of shape ${shapeStr(this.shape)} has ${this.size} elements, not 1`);
    return this.values()[0]!;
  }

  /** Nested JS arrays (for tests and small outputs). */
  toArray(): unknown {
    const v = this.values();
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return v[off];
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /** Backpropagates from this tensor (a one-element loss, or pass the output gradient). */
  backward(grad?: Tensor): void {
    if (!this.requiresGrad) throw new BertchatError('INVALID_ARGUMENT', 'backward: tensor does not require grad (no parameter was involved, or it ran under noGrad)');
    if (!grad) {
      if (this.size !== 1) throw new BertchatError('SHAPE_MISMATCH', `backward: an implicit gradient needs a one-element tensor, got ${shapeStr(this.shape)}`);
      grad = new Tensor(new Float32Array([1]), this.shape);
    }
    runBackward(this, grad, add);
  }

  /** Same storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.strides, this.offset);
  }

  /** Marks this tensor as a leaf that receives gradients; returns it. */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  // Views, as methods for readable model code: x.reshape(B, T, nh, hs).transpose(1, 2)
  reshape(...shape: number[]): Tensor {
    return views.reshape(this, shape);
  }
  transpose(a: number, b: number): Tensor {
    return views.transpose(this, a, b);
  }
  permute(...axes: number[]): Tensor {
    return views.permute(this, axes);
  }
  unsqueeze(axis: number): Tensor {
    return views.unsqueeze(this, axis);
  }
  squeeze(axis: number): Tensor {
    return views.squeeze(this, axis);
  }
  /** Elements [start, end) along `axis` (a view). */
  narrow(axis: number, start: number, length: number): Tensor {
    return views.narrow(this, axis, start, length);
  }
  /** Index `index` along `axis`, removing that axis (a view). */
  select(axis: number, index: number): Tensor {
    return views.select(this, axis, index);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${shapeStr(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
