// Module: a tree of named parameters whose paths are Hugging Face weight names. Attributes are the
// structure (tinygrad style): a Tensor marked as parameter, a child Module, or an array of Modules
// (`layer.0`, `layer.1`, ...). stateDict()/loadStateDict() round-trip a safetensors checkpoint.
import { Tensor } from '../tensor/tensor.js';
import { shapeStr } from '../tensor/shape.js';
import { dropPackedWeight, markPackable } from '../tensor/weight-packing.js';
import { BertchatError } from '../util/errors.js';

const PARAM = Symbol('bertchat.parameter');

/** Marks a tensor as a trainable parameter of the module it is assigned to. */
export function parameter(t: Tensor): Tensor {
  (t as unknown as Record<symbol, boolean>)[PARAM] = true;
  t.requiresGrad = true;
  return t;
}

export function isParameter(x: unknown): x is Tensor {
  return x instanceof Tensor && (x as unknown as Record<symbol, boolean>)[PARAM] === true;
}

export interface LoadOptions {
  /** Fail on missing/unexpected keys (default true). Mis-shaped keys always fail. */
  strict?: boolean;
  /** Checkpoint keys to ignore silently (old buffers, heads the model does not use). */
  ignore?: (name: string) => boolean;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export abstract class Module {
  /** Training mode (dropout active). Set by train()/eval() on the whole tree. */
  training = true;

  /** Child modules in attribute order, arrays expanded as `name.i`. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v)) v.forEach((m, i) => m instanceof Module && out.push([`${k}.${i}`, m]));
    }
    return out;
  }

  /**
   * All parameters with their full dotted names. A tensor shared by two paths (tied weights) is
   * listed once, under the first path, as torch's named_parameters() does.
   */
  namedParameters(prefix = '', seen = new Set<Tensor>()): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (isParameter(v) && !seen.has(v)) {
        seen.add(v);
        out.push([prefix + k, v]);
      }
    }
    for (const [k, m] of this.namedChildren()) out.push(...m.namedParameters(`${prefix}${k}.`, seen));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** name → tensor, for saving. Tied tensors appear once (as HF save_pretrained drops aliases). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies weights in by name. Mis-shaped tensors always fail; missing/unexpected keys fail when strict.
   * The error lists every offending name with shapes.
   */
  loadStateDict(tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, opts: LoadOptions = {}): LoadReport {
    const strict = opts.strict ?? true;
    const params = this.namedParameters();
    const known = new Set(params.map(([n]) => n));
    const missing: string[] = [];
    const misShaped: string[] = [];
    for (const [name, p] of params) {
      const src = tensors.get(name);
      if (!src) {
        missing.push(name);
        continue;
      }
      if (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i])) {
        misShaped.push(`${name}: checkpoint ${shapeStr(src.shape)}, model ${shapeStr(p.shape)}`);
      }
    }
    const unexpected = [...tensors.keys()].filter((k) => !known.has(k) && !(opts.ignore?.(k) ?? false));
    const problems: string[] = [];
    if (misShaped.length) problems.push(`mis-shaped: ${misShaped.join('; ')}`);
    if (strict && missing.length) problems.push(`missing: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected: ${unexpected.join(', ')}`);
    if (problems.length) {
      throw new BertchatError('CHECKPOINT', `${this.constructor.name}: checkpoint does not match the model — ${problems.join(' | ')}`, {
        missing,
        unexpected,
        misShaped,
      });
    }
    for (const [name, p] of params) {
      const src = tensors.get(name);
      if (!src) continue;
      // adopt the loaded buffer (zero-copy) when it is exactly the tensor's size, else copy
      if (src.data.length === p.size) p.data = src.data;
      else {
        (p.data as Float32Array).set(src.data.subarray(0, p.size));
        dropPackedWeight(p); // written in place: a packed copy would be stale
      }
    }
    return { missing, unexpected };
  }

  train(on = true): this {
    this.training = on;
    if (on) for (const p of this.parameters()) dropPackedWeight(p); // weights may change from here on
    for (const [, m] of this.namedChildren()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Turns gradients on or off for every parameter (off for inference-only models). */
  requiresGrad_(on: boolean): this {
    for (const p of this.parameters()) {
      p.requiresGrad = on;
      if (on) dropPackedWeight(p);
    }
    return this;
  }

  /**
   * Lets products with this model's matrices reuse a copy packed in the GEMM kernel's layout (made on first use,
   * see tensor/weight-packing.ts): faster encoder inference for twice the matrices' memory. Freezes the model
   * (eval, no gradients); train() or requiresGrad_(true) drops the copies.
   * @example const clf = (await AutoModelForSequenceClassification.fromPretrained(dir)).packForInference();
   */
  packForInference(): this {
    this.eval().requiresGrad_(false);
    for (const p of this.parameters()) if (p.ndim === 2) markPackable(p);
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}
