// GET /v1/models and GET /v1/models/{id}: the registered model names (never paths), OpenAI's model objects.
import type { FastifyInstance } from 'fastify';
import type { ModelInfo } from '../engine.js';
import { modelNotFound } from '../errors.js';
import type { ModelList, ModelObject } from '../openai-types.js';
import type { RouteContext } from './common.js';

const toObject = (m: ModelInfo): ModelObject => ({ id: m.id, object: 'model', created: m.created, owned_by: 'bertchat' });

export function registerModels(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/models', async (): Promise<ModelList> => ({ object: 'list', data: ctx.engine.models().map(toObject) }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (req): Promise<ModelObject> => {
    const m = ctx.engine.models().find((x) => x.id === req.params.id);
    if (!m) throw modelNotFound(req.params.id);
    return toObject(m);
  });
}
