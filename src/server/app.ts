// Builds the Fastify app (no listening: tests use inject, serve.ts listens). Strict JSON validation without
// coercion, OpenAI-shaped errors for everything, API-key check on /v1, metrics on every response.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { log } from '../util/logging.js';
import type { Engine } from './engine.js';
import { HttpError, schemaError, toHttpError, type SchemaError } from './errors.js';
import { Metrics } from './metrics.js';
import { registerChat } from './routes/chat.js';
import type { RouteContext } from './routes/common.js';
import { registerCompletions } from './routes/completions.js';
import { registerEncoders } from './routes/encoders.js';
import { registerModels } from './routes/models.js';
import { registerOps } from './routes/ops.js';
import { registerWeb } from './routes/web.js';

export interface AppOptions {
  engine: Engine;
  /** When set, /v1/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  /** Largest request body in bytes (413 beyond). Default 4 MiB. */
  bodyLimit?: number;
  /** Folder of the chat page; null = no page. Default: the package's public/. */
  webRoot?: string | null;
  /** Cancelled-job count for /metrics (the worker pool's). */
  cancelled?: () => number;
}

export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

function keyMatches(given: string, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

/**
 * The OpenAI-compatible app over an engine.
 * @example const app = buildApp({ engine }); const res = await app.inject({ method: 'GET', url: '/v1/models' });
 */
export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, verbose: true, allowUnionTypes: true } },
    schemaErrorFormatter: (errors) => schemaError(errors as unknown as SchemaError[]),
    forceCloseConnections: true,
  });
  const metrics = new Metrics({ queueDepth: () => opts.engine.queueDepth(), active: () => opts.engine.active(), cancelled: opts.cancelled ?? (() => 0) });
  const ctx: RouteContext = { engine: opts.engine, metrics };
  app.decorate('bertchat', ctx);

  app.addHook('onRequest', async (req) => {
    if (!opts.apiKey || !req.url.startsWith('/v1/')) return;
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m) throw new HttpError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null, 'invalid_api_key');
    if (!keyMatches(m[1]!.trim(), opts.apiKey)) throw new HttpError(401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(async (err, req, reply) => {
    const h = toHttpError(err);
    if (h.status >= 500) log.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
    return reply.status(h.status === 499 ? 400 : h.status).send(h.body());
  });
  app.setNotFoundHandler(async (req, reply) => reply.status(404).send(new HttpError(404, `Invalid URL (${req.method} ${req.url.split('?')[0]})`, 'invalid_request_error', null, 'unknown_url').body()));

  registerOps(app, ctx);
  registerModels(app, ctx);
  registerCompletions(app, ctx);
  registerChat(app, ctx);
  registerEncoders(app, ctx);
  if (opts.webRoot !== null) registerWeb(app, opts.webRoot ?? undefined);
  return app;
}
