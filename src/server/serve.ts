// Starts the server: model workers (loading each model once per worker), the Fastify app, listening on
// loopback by default. The bundled models (the package's models/chat and models/sentiment) are the default.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { buildApp } from './app.js';
import { parseModelSpec, type ModelSpec } from './engine.js';
import { WorkerPool } from './worker-pool.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;
/** The package's models/ folder (dist/src/server → ../../../models), independent of the cwd. */
export const BUNDLED_MODELS_ROOT = new URL('../../../models/', import.meta.url).pathname;
export const BUNDLED_MODELS: ReadonlyArray<{ name: string; folder: string }> = [
  { name: 'chat', folder: 'chat' },
  { name: 'sentiment', folder: 'sentiment' },
];

/** Specs for the bundled models that exist; the missing ones are listed (and logged by the caller). */
export function bundledModelSpecs(root: string = BUNDLED_MODELS_ROOT): { specs: ModelSpec[]; missing: string[] } {
  const specs: ModelSpec[] = [];
  const missing: string[] = [];
  for (const b of BUNDLED_MODELS) {
    const dir = join(root, b.folder);
    if (existsSync(join(dir, 'config.json'))) specs.push({ name: b.name, source: dir });
    else missing.push(dir);
  }
  return { specs, missing };
}

export interface ServeOptions {
  /** Models to serve; default the bundled ones. */
  models?: ModelSpec[];
  host?: string;
  /** 0 picks a free port. Default 8000. */
  port?: number;
  apiKey?: string | null;
  workers?: number;
  maxQueue?: number;
  /** Native kernel threads per worker (see WorkerPoolOptions.threads). */
  threads?: number | null;
  bodyLimit?: number;
  webRoot?: string | null;
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** What OpenAI clients take as base URL: http://host:port/v1 */
  baseURL: string;
  app: FastifyInstance;
  engine: WorkerPool;
  close(): Promise<void>;
}

/**
 * Loads the models and listens.
 * @example const s = await startServer({ models: [{ name: 'gpt2', source: './gpt2' }], port: 0 }); // s.baseURL → 'http://127.0.0.1:PORT/v1'
 */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  let specs = opts.models ?? [];
  if (specs.length === 0) {
    const b = bundledModelSpecs();
    for (const m of b.missing) log.warn(`bundled model not found, not serving it: ${m}`);
    specs = b.specs;
  }
  if (specs.length === 0) throw new BertchatError('NOT_FOUND', 'no models to serve: pass --model NAME=PATH (the bundled models are missing)');
  const engine = await WorkerPool.start({ specs, workers: opts.workers ?? 1, maxQueue: opts.maxQueue ?? 32, threads: opts.threads ?? null });
  const app = buildApp({ engine, apiKey: opts.apiKey ?? null, bodyLimit: opts.bodyLimit, webRoot: opts.webRoot, cancelled: () => engine.cancelled });
  const host = opts.host ?? DEFAULT_HOST;
  try {
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (e) {
    await engine.close();
    throw new BertchatError('IO', `cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${(e as Error).message}`);
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? DEFAULT_PORT);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    app,
    engine,
    async close() {
      await app.close();
      await engine.close();
    },
  };
}

/**
 * Model specs from CLI flags: `--model NAME=PATH_OR_HUB_ID` (repeatable) and `--chat-template NAME=FILE`
 * (a Jinja file for a model whose tokenizer has none). No --model → the bundled models.
 */
export function specsFromFlags(models: string[], templates: string[] = []): ModelSpec[] {
  const specs = models.length ? models.map(parseModelSpec) : bundledModelSpecs().specs;
  for (const t of templates) {
    const eq = t.indexOf('=');
    const name = eq > 0 ? t.slice(0, eq) : specs[0]?.name;
    const file = eq > 0 ? t.slice(eq + 1) : t;
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new BertchatError('INVALID_ARGUMENT', `--chat-template ${t}: no model named "${name}"`);
    if (!existsSync(file)) throw new BertchatError('NOT_FOUND', `--chat-template: file not found: ${file}`, { file });
    spec.chatTemplate = readFileSync(file, 'utf8');
  }
  return specs;
}
