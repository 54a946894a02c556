// Elementwise ops with NumPy broadcasting: add, sub, mul, div (tensor or number operands), and
// unary math/activations (exp, log, tanh, gelu, gelu_tanh, silu, ...). Backward next to forward.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend, type BinaryOp, type UnaryOp } from '../backend/index.js';
import { broadcastShapes, broadcastStrides, numel } from '../shape.js';
import { sumTo } from './views.js';
import { BertchatError } from '../../util/errors.js';

type Operand = Tensor | number;

function asTensor(x: Operand): Tensor {
  return typeof x === 'number' ? new Tensor(new Float32Array([x]), []) : x;
}

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, name: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = new Tensor(new Float32Array(numel(shape)), shape);
  getBackend().binary(
    op,
    shape,
    a.f32(name),
    a.offset,
    broadcastStrides(a.shape, a.strides, shape),
    b.f32(name),
    b.offset,
    broadcastStrides(b.shape, b.strides, shape),
    out.data as Float32Array,
    0,
  );
  return out;
}

/** a + b (broadcasting). */
export function add(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const out = binaryRaw('add', x, y, 'add');
  return attach(out, 'add', [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

/** a - b (broadcasting). */
export function sub(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const out = binaryRaw('sub', x, y, 'sub');
  return attach(out, 'sub', [x, y], (g) => [sumTo(g, x.shape), y.requiresGrad ? sumTo(neg(g), y.shape) : null]);
}

/** a * b (broadcasting). */
export function mul(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const out = binaryRaw('mul', x, y, 'mul');
  return attach(out, 'mul', [x, y], (g) => [
    x.requiresGrad ? sumTo(binaryRaw('mul', g, y, 'mul'), x.shape) : null,
    y.requiresGrad ? sumTo(binaryRaw('mul', g, x, 'mul'), y.shape) : null,
  ]);
}

/** a / b (broadcasting). */
export function div(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const out = binaryRaw('div', x, y, 'div');
  return attach(out, 'div', [x, y], (g) => [
    x.requiresGrad ? sumTo(binaryRaw('div', g, y, 'div'), x.shape) : null,
    // d(x/y)/dy = -x/y^2 = -out/y
    y.requiresGrad ? sumTo(neg(binaryRaw('div', binaryRaw('mul', g, out, 'div'), y, 'div')), y.shape) : null,
  ]);
}

/** Elementwise maximum (gradient goes to the larger operand; ties to a). */
export function maximum(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  return binaryRaw('max', x, y, 'maximum');
}

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  const xc = x.floats(op);
  const out = new Float32Array(x.size);
  getBackend().unary(op, xc, 0, out, 0, x.size);
  return new Tensor(out, x.shape);
}

/** An activation whose backward is dy * f'(x), computed by the back end from the saved input. */
function activation(op: UnaryOp, x: Tensor): Tensor {
  const out = unaryRaw(op, x);
  return attach(out, op, [x], (g) => {
    const dx = new Float32Array(x.size);
    getBackend().unaryBackward(op, x.floats(op), g.floats(op), dx, x.size);
    return [new Tensor(dx, x.shape)];
  });
}

export function neg(x: Tensor): Tensor {
  return attach(unaryRaw('neg', x), 'neg', [x], (g) => [neg(g)]);
}
export function exp(x: Tensor): Tensor {
  const out = unaryRaw('exp', x);
  return attach(out, 'exp', [x], (g) => [binaryRaw('mul', g, out, 'exp')]);
}
export function log(x: Tensor): Tensor {
  return attach(unaryRaw('log', x), 'log', [x], (g) => [binaryRaw('div', g, x, 'log')]);
}
export function sqrt(x: Tensor): Tensor {
  const out = unaryRaw('sqrt', x);
  return attach(out, 'sqrt', [x], (g) => [binaryRaw('div', binaryRaw('mul', g, asTensor(0.5), 'sqrt'), out, 'sqrt')]);
}
export function square(x: Tensor): Tensor {
  return attach(unaryRaw('square', x), 'square', [x], (g) => [binaryRaw('mul', binaryRaw('mul', g, x, 'square'), asTensor(2), 'square')]);
}
export const tanh = (x: Tensor): Tensor => activation('tanh', x);
export const sigmoid = (x: Tensor): Tensor => activation('sigmoid', x);
export const relu = (x: Tensor): Tensor => activation('relu', x);
/** Exact GELU, 0.5·x·(1 + erf(x/√2)) — BERT's "gelu". */
export const gelu = (x: Tensor): Tensor => activation('gelu', x);
/** Tanh-approximate GELU — GPT-2's "gelu_new". */
export const geluTanh = (x: Tensor): Tensor => activation('gelu_tanh', x);
/** SiLU / swish, x·σ(x) — Llama's MLP. */
export const silu = (x: Tensor): Tensor => activation('silu', x);

/** Activation by Hugging Face `hidden_act` name. */
export function activationByName(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
    case 'gelu_python':
      return gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh;
    case 'silu':
    case 'swish':
      return silu;
    case 'relu':
      return relu;
    case 'tanh':
      return tanh;
    default:
      throw new BertchatError('CONFIG', `unsupported activation "${name}" (supported: gelu, gelu_new, gelu_pytorch_tanh, silu, relu, tanh)`);
  }
}
