// addmm: y = x·W + b with W stored [in, out] (torch.addmm, what HF's GPT-2 Conv1D computes).
import type { Tensor } from '../tensor.js';
import { affine } from './affine.js';

/**
 * y = x·W + b, W stored [in, out]. x: (..., in) → (..., out).
 * @example const qkv = addmm(h, attn.c_attn.weight, attn.c_attn.bias); // (B, T, 3C)
 */
export function addmm(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  return affine(x, w, bias, 'in-out', 'addmm');
}
