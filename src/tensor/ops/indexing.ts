// Index ops: embedding lookup (rows of a table by int32 ids), indexSelect along an axis, and concat.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { normAxis, numel, shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { contiguous, narrow } from './views.js';

function checkIds(ids: Int32Array, n: number, op: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= n) throw new BertchatError('INDEX_OUT_OF_RANGE', `${op}: index ${id} at position ${i} is out of range [0, ${n})`);
  }
}

/**
 * Embedding lookup: weight (V, C), ids int32 (...) → (..., C). The row `paddingIdx` gets no gradient
 * (torch.nn.Embedding(padding_idx)).
 * @example const h = embedding(wte, inputIds); // (B, T, C)
 */
export function embedding(weight: Tensor, ids: Tensor, paddingIdx: number | null = null): Tensor {
  if (weight.ndim !== 2) throw new BertchatError('SHAPE_MISMATCH', `embedding: weight must be 2-D (V, C), got ${shapeStr(weight.shape)}`);
  const idv = ids.i32('embedding ids').length === ids.size && ids.isContiguous() && ids.offset === 0 ? (ids.data as Int32Array) : (ids.values() as Int32Array);
  const [V, C] = weight.shape as [number, number];
  checkIds(idv, V, 'embedding');
  const out = new Float32Array(idv.length * C);
  const wc = contiguous(weight);
  getBackend().gatherRows(wc.f32('embedding').subarray(wc.offset), idv, out, C);
  return attach(new Tensor(out, [...ids.shape, C]), 'embedding', [weight], (g) => {
    const dw = new Float32Array(V * C);
    getBackend().scatterAddRows(g.floats('embedding backward'), idv, dw, C, paddingIdx ?? -1);
    return [new Tensor(dw, weight.shape)];
  });
}

/** Rows of x along `axis` picked by int ids (a copy). indexSelect(x, 0, [2, 0]) → x[[2, 0]]. */
export function indexSelect(x: Tensor, axis: number, index: readonly number[] | Int32Array): Tensor {
  const ax = normAxis(axis, x.ndim, 'indexSelect');
  const ids = Int32Array.from(index);
  const D = x.shape[ax]!;
  checkIds(ids, D, 'indexSelect');
  const outer = numel(x.shape.slice(0, ax));
  const inner = numel(x.shape.slice(ax + 1));
  const xv = x.floats('indexSelect');
  const out = new Float32Array(outer * ids.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < ids.length; i++) {
      const src = (o * D + ids[i]!) * inner;
      out.set(xv.subarray(src, src + inner), (o * ids.length + i) * inner);
    }
  }
  const shape = [...x.shape];
  shape[ax] = ids.length;
  return attach(new Tensor(out, shape), 'indexSelect', [x], (g) => {
    const gv = g.floats();
    const dx = new Float32Array(x.size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < ids.length; i++) {
        const dst = (o * D + ids[i]!) * inner;
        const src = (o * ids.length + i) * inner;
        for (let j = 0; j < inner; j++) dx[dst + j]! += gv[src + j]!;
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * Concatenation along `axis`; all other dimensions must agree.
 * @example const kAll = concat([kPast, kNew], 2); // (B, nh, Tpast + T, hs)
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'concat: no tensors given');
  const first = xs[0]!;
  const ax = normAxis(axis, first.ndim, 'concat');
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new BertchatError('SHAPE_MISMATCH', `concat: shapes ${xs.map((x) => shapeStr(x.shape)).join(', ')} differ outside axis ${ax}`);
    }
    if (t.dtype !== first.dtype) throw new BertchatError('DTYPE', `concat: mixed dtypes ${first.dtype} and ${t.dtype}`);
  }
  const outer = numel(first.shape.slice(0, ax));
  const inner = numel(first.shape.slice(ax + 1));
  const total = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const shape = [...first.shape];
  shape[ax] = total;
  const out = first.dtype === 'int32' ? new Int32Array(outer * total * inner) : new Float32Array(outer * total * inner);
  let at = 0;
  for (const t of xs) {
    const v = t.values();
    const chunk = t.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) out.set(v.subarray(o * chunk, (o + 1) * chunk), o * total * inner + at * inner);
    at += t.shape[ax]!;
  }
  const starts: number[] = [];
  let s0 = 0;
  for (const t of xs) {
    starts.push(s0);
    s0 += t.shape[ax]!;
  }
  return attach(new Tensor(out, shape), 'concat', [...xs], (g) => xs.map((t, i) => (t.requiresGrad ? contiguous(narrow(g, ax, starts[i]!, t.shape[ax]!)) : null)));
}
