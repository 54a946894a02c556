// Messages between the server's main thread and its model workers (structured-clone data only).
// main → worker: init, job, abort. worker → main: ready, init-error, event, result, error, end.
import { BertchatError, type ErrorCode } from '../util/errors.js';
import type { ClassifyResult, EmbedResult, GenerateEvent, GenerateRequest, ModelInfo, ModelSpec } from './engine.js';

export type JobPayload =
  | { kind: 'generate'; req: GenerateRequest }
  | { kind: 'embed'; model: string; input: Array<string | number[]> }
  | { kind: 'classify'; model: string; input: string[] };

export type ToWorker =
  | { type: 'init'; specs: ModelSpec[]; logLevel: string; threads: number | null }
  | { type: 'job'; id: number; payload: JobPayload }
  | { type: 'abort'; id: number };

export interface WireError {
  code: ErrorCode | null;
  message: string;
  details?: Record<string, unknown>;
}

export type FromWorker =
  | { type: 'ready'; models: ModelInfo[] }
  | { type: 'init-error'; error: WireError }
  | { type: 'event'; id: number; event: GenerateEvent }
  | { type: 'result'; id: number; result: EmbedResult | ClassifyResult }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'end'; id: number }
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string };

export function toWire(e: unknown): WireError {
  if (e instanceof BertchatError) return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return { code: null, message: e instanceof Error ? e.message : String(e) };
}

export function fromWire(w: WireError): Error {
  return w.code ? new BertchatError(w.code, w.message, w.details) : new Error(w.message);
}
