// Losses: cross-entropy with ignore_index (mean over counted targets, like torch), MSE, BCE with logits.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { mean } from './reduce.js';
import { mul, sub, square, sigmoid, log, neg, add } from './elementwise.js';

/**
 * Mean cross-entropy of logits (N, C) against int32 targets (N); targets equal to ignoreIndex
 * are skipped (torch.nn.CrossEntropyLoss(ignore_index=-100)). Returns a scalar (NaN if all ignored, as torch).
 * @example const loss = crossEntropy(logits.reshape(-1, V), labels.reshape(-1));
 */
export function crossEntropy(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  if (logits.ndim !== 2) throw new BertchatError('SHAPE_MISMATCH', `crossEntropy: logits must be (N, C), got ${shapeStr(logits.shape)}`);
  const [N, C] = logits.shape as [number, number];
  targets.i32('crossEntropy targets');
  const t = targets.values() as Int32Array;
  if (t.length !== N) throw new BertchatError('SHAPE_MISMATCH', `crossEntropy: ${N} rows of logits but ${t.length} targets`);
  const logp = new Float32Array(N * C);
  getBackend().logSoftmax(logits.floats('crossEntropy'), logp, N, C);
  let total = 0;
  let count = 0;
  for (let i = 0; i < N; i++) {
    const ti = t[i]!;
    if (ti === ignoreIndex) continue;
    if (ti < 0 || ti >= C) throw new BertchatError('INDEX_OUT_OF_RANGE', `crossEntropy: target ${ti} at row ${i} is out of range [0, ${C})`);
    total -= logp[i * C + ti]!;
    count++;
  }
  const out = new Tensor(new Float32Array([total / count]), []);
  return attach(out, 'crossEntropy', [logits], (g) => {
    // d/dlogits = (softmax - onehot) / count on counted rows, 0 on ignored rows
    const scale = g.item() / count;
    const dx = new Float32Array(N * C);
    for (let i = 0; i < N; i++) {
      const ti = t[i]!;
      if (ti === ignoreIndex) continue;
      const o = i * C;
      for (let j = 0; j < C; j++) dx[o + j] = Math.exp(logp[o + j]!) * scale;
      dx[o + ti]! -= scale;
    }
    return [new Tensor(dx, logits.shape)];
  });
}

/** Mean squared error (regression heads). */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (pred.size !== target.size) throw new BertchatError('SHAPE_MISMATCH', `mseLoss: ${shapeStr(pred.shape)} vs ${shapeStr(target.shape)}`);
  return mean(square(sub(pred, target.reshape(...pred.shape))));
}

/** Mean binary cross-entropy with logits (multi-label heads): -[y·log σ(x) + (1-y)·log(1-σ(x))]. */
export function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  if (logits.size !== target.size) throw new BertchatError('SHAPE_MISMATCH', `bceWithLogits: ${shapeStr(logits.shape)} vs ${shapeStr(target.shape)}`);
  const y = target.reshape(...logits.shape);
  const p = sigmoid(logits);
  const eps = 1e-12;
  const l = add(mul(y, log(add(p, eps))), mul(sub(1, y), log(add(sub(1, p), eps))));
  return neg(mean(l));
}

