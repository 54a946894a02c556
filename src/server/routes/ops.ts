// GET /health (liveness plus what is loaded; answered on the event loop, never behind model work) and
// GET /metrics (Prometheus text format).
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './common.js';

export function registerOps(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/health', async () => ({
    status: 'ok',
    models: ctx.engine.models().map((m) => ({ id: m.id, kind: m.kind, max_context: m.maxContext, chat: m.chat, labels: m.labels })),
    queue_depth: ctx.engine.queueDepth(),
    active: ctx.engine.active(),
  }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return ctx.metrics.render();
  });
}
