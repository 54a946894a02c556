// The tensor engine's public surface: Tensor, autograd scopes, every op, back-end selection.
export { Tensor, type DType, type Storage } from './tensor.js';
export { noGrad, isGradEnabled, setGradEnabled } from './autograd.js';
export * from './shape.js';
export { tensor, intTensor, zeros, ones, full, arange, randn, rand } from './ops/create.js';
export { contiguous, reshape, permute, transpose, narrow, select, unsqueeze, squeeze, expand, sumTo } from './ops/views.js';
export { add, sub, mul, div, maximum, neg, exp, log, sqrt, square, tanh, sigmoid, relu, gelu, geluTanh, silu, activationByName } from './ops/elementwise.js';
export { matmul, linear } from './ops/matmul.js';
export { addmm } from './ops/addmm.js';
export { multiHeadAttention } from './ops/attention.js';
export { sum, mean } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { layerNorm, rmsNorm } from './ops/norm.js';
export { embedding, indexSelect, concat } from './ops/indexing.js';
export { crossEntropy, mseLoss, bceWithLogits } from './ops/loss.js';
export { dropout } from './ops/dropout.js';
export { applyRope, ropeTables, defaultInvFreq } from './ops/rope.js';
export { getBackend, setBackend, withBackend, availableBackends, nativeBackend, jsBackend } from './backend/index.js';
export type { Backend, BackendName, GemmArgs } from './backend/index.js';
