// Reverse-mode autograd on a tape of nodes. Each op attaches a GradNode to its output with a backward
// closure written next to its forward (src/tensor/ops/*). backward() walks the graph in reverse
// topological order, accumulating gradients; leaves (parameters) receive them in `.grad`.
import type { Tensor } from './tensor.js';

export interface GradNode {
  /** Op name, for debugging and error messages. */
  op: string;
  inputs: Tensor[];
  /** Gradients of the inputs, in input order, given the gradient of the output (null: no gradient). */
  backward: (grad: Tensor) => (Tensor | null)[];
}

let gradEnabled = true;

/** True unless inside noGrad(). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs fn without recording the tape (inference). Synchronous scopes only.
 * @example const logits = noGrad(() => model.forward(ids));
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Sets grad recording on or off (returns the previous state), for scopes that cross awaits. */
export function setGradEnabled(on: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = on;
  return prev;
}

/** Attaches a node to `out` when recording and any input requires grad. Returns out. */
export function attach(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (!gradEnabled) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
  return out;
}

/**
 * Backpropagates from `root`. Without `grad`, root must have one element (a loss) and its gradient is 1.
 * The graph is freed as it is consumed (like PyTorch without retain_graph).
 */
export function runBackward(root: Tensor, grad: Tensor, add: (a: Tensor, b: Tensor) => Tensor): void {
  // iterative DFS post-order for a topological order of tensors with nodes
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const c = inputs[i]!;
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, grad);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        // a leaf: accumulate into .grad (in place, so optimisers holding it see the update)
        if (t.grad) {
          const acc = add(t.grad, g);
          t.grad.data.set(acc.data.subarray(acc.offset, acc.offset + acc.size));
        } else t.grad = g.clone(); // own copy: g may be shared with another input's gradient
        continue;
      }
      const node = t.node;
      const gs = node.backward(g);
      t.node = null; // free the graph as we go
      for (let j = 0; j < node.inputs.length; j++) {
        const inp = node.inputs[j]!;
        const gi = gs[j];
        if (!gi || !inp.requiresGrad) continue;
        const old = grads.get(inp);
        grads.set(inp, old ? add(old, gi) : gi);
      }
    }
  } finally {
    gradEnabled = prev;
  }
}
