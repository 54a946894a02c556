// Typed, validating reads of config.json fields: each read names the field and the file on error,
// applies the HF default when the field is absent, and records the field as known (the rest is kept as `extra`).
import { BertchatError } from '../../util/errors.js';

/** Marker for a field without a default. */
export const REQUIRED: unique symbol = Symbol('required');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads fields of one parsed JSON object; `source` (a file path or label) appears in every error. */
export class FieldReader {
  private readonly known = new Set<string>();

  constructor(
    readonly json: Record<string, unknown>,
    readonly source: string,
  ) {}

  fail(field: string, msg: string): never {
    throw new BertchatError('CONFIG', `${this.source}: field "${field}" ${msg}`, { file: this.source, field });
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.json, name) && this.json[name] !== undefined;
  }

  /** Marks fields as handled elsewhere so they are not kept in `extra`. */
  markKnown(...names: string[]): void {
    for (const n of names) this.known.add(n);
  }

  /** Value of the first of `names` present (HF attribute_map aliases), or undefined. */
  private raw(names: string[]): { name: string; value: unknown } | undefined {
    this.markKnown(...names);
    for (const n of names) if (this.has(n)) return { name: n, value: this.json[n] };
    return undefined;
  }

  private get<T>(names: string | string[], def: T | typeof REQUIRED, check: (v: unknown) => boolean, what: string): T {
    const list = typeof names === 'string' ? [names] : names;
    const r = this.raw(list);
    if (r === undefined) {
      if (def === REQUIRED) this.fail(list[0]!, 'is required but missing');
      return def as T;
    }
    if (!check(r.value)) this.fail(r.name, `must be ${what}, got ${show(r.value)}`);
    return r.value as T;
  }

  /** A positive integer (sizes, counts). */
  posInt(names: string | string[], def: number | typeof REQUIRED): number {
    return this.get(names, def, (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer');
  }

  /** A non-negative integer. */
  natInt(names: string | string[], def: number | typeof REQUIRED): number {
    return this.get(names, def, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer');
  }

  /** Any integer or null (token ids: some old configs use -1). */
  intOrNull(names: string | string[], def: number | null): number | null {
    return this.get(names, def, (v) => v === null || Number.isSafeInteger(v), 'an integer or null');
  }

  posIntOrNull(names: string | string[], def: number | null): number | null {
    return this.get(names, def, (v) => v === null || (Number.isSafeInteger(v) && (v as number) > 0), 'a positive integer or null');
  }

  /** An integer, a list of integers, or null (eos_token_id). */
  intsOrNull(names: string | string[], def: number | number[] | null): number | number[] | null {
    const ok = (v: unknown): boolean => v === null || Number.isSafeInteger(v) || (Array.isArray(v) && v.every((x) => Number.isSafeInteger(x)));
    const v = this.get<number | number[] | null>(names, def, ok, 'an integer, a list of integers or null');
    return Array.isArray(v) ? v.slice() : v;
  }

  /** A finite number. */
  num(names: string | string[], def: number | typeof REQUIRED): number {
    return this.get(names, def, (v) => typeof v === 'number' && Number.isFinite(v), 'a number');
  }

  /** A finite number >= 0 (dropout probabilities are also checked to be <= 1 with `prob`). */
  prob(names: string | string[], def: number): number {
    return this.get(names, def, (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a probability in [0, 1]');
  }

  probOrNull(names: string | string[], def: number | null): number | null {
    return this.get(names, def, (v) => v === null || (typeof v === 'number' && v >= 0 && v <= 1), 'a probability in [0, 1] or null');
  }

  /** A number > 0 (epsilons, theta). */
  posNum(names: string | string[], def: number): number {
    return this.get(names, def, (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number');
  }

  bool(names: string | string[], def: boolean): boolean {
    return this.get(names, def, (v) => typeof v === 'boolean', 'true or false');
  }

  str(names: string | string[], def: string | typeof REQUIRED): string {
    return this.get(names, def, (v) => typeof v === 'string', 'a string');
  }

  strOrNull(names: string | string[], def: string | null): string | null {
    return this.get(names, def, (v) => v === null || typeof v === 'string', 'a string or null');
  }

  oneOf<T extends string>(names: string | string[], allowed: readonly T[], def: T): T {
    return this.get(names, def, (v) => typeof v === 'string' && (allowed as readonly string[]).includes(v), `one of ${allowed.join(', ')}`);
  }

  oneOfOrNull<T extends string>(names: string | string[], allowed: readonly T[], def: T | null): T | null {
    return this.get(names, def, (v) => v === null || (typeof v === 'string' && (allowed as readonly string[]).includes(v)), `null or one of ${allowed.join(', ')}`);
  }

  strListOrNull(names: string | string[], def: string[] | null): string[] | null {
    const v = this.get<string[] | null>(names, def, (x) => x === null || (Array.isArray(x) && x.every((s) => typeof s === 'string')), 'a list of strings or null');
    return v === null ? null : v.slice();
  }

  /** An object (returned as is) or null. */
  objOrNull(names: string | string[]): Record<string, unknown> | null {
    return this.get(names, null, (v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'an object or null');
  }

  /** Fields nobody read: kept verbatim so configToJSON can write them back. */
  extra(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.json)) {
      if (!this.known.has(k)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
