// The `js` back end: the portable reference implementation of every kernel, always available.
import type { Backend } from '../backend.js';
import { gemmJs } from './gemm.js';
import * as k from './kernels.js';
import { attentionDecode, scaledMaskedSoftmax } from './attention.js';

export const jsBackend: Backend = {
  name: 'js',
  threads: 1,
  gemm: gemmJs,
  binary: k.binary,
  unary: k.unary,
  unaryBackward: k.unaryBackward,
  copyStrided: k.copyStrided,
  softmax: k.softmax,
  softmaxBackward: k.softmaxBackward,
  scaledMaskedSoftmax,
  attentionDecode,
  logSoftmax: k.logSoftmax,
  logSoftmaxBackward: k.logSoftmaxBackward,
  layerNorm: k.layerNorm,
  layerNormBackward: k.layerNormBackward,
  rmsNorm: k.rmsNorm,
  rmsNormBackward: k.rmsNormBackward,
  sumAxis: k.sumAxis,
  gatherRows: k.gatherRows,
  scatterAddRows: k.scatterAddRows,
  rope: k.rope,
  adamw: k.adamw,
};
