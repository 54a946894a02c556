// POST /v1/embeddings (OpenAI shape; float or base64 little-endian float32) and POST /v1/classify (our
// extension: labels and scores from a sequence classifier). Both run encoder models.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import {
  classifyRequestSchema,
  embeddingRequestSchema,
  type ClassifyRequest,
  type ClassifyResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from '../openai-types.js';
import { clientGone } from '../sse.js';
import { findModel, type RouteContext } from './common.js';
import { toHttpError } from '../errors.js';

/** input: string | string[] | number[] | number[][] → one item each. */
function embeddingInputs(input: EmbeddingRequest['input']): Array<string | number[]> {
  if (typeof input === 'string') return [input];
  const arr = input as unknown[];
  if (arr.every((x) => typeof x === 'string')) return arr as string[];
  if (arr.every((x) => typeof x === 'number')) return [arr as number[]];
  if (arr.every((x) => Array.isArray(x))) return arr as number[][];
  throw badRequest("Invalid 'input': expected a string, an array of strings, an array of token ids or an array of token-id arrays.", 'input', 'invalid_value');
}

/** Little-endian float32 bytes, base64 (what OpenAI's encoding_format=base64 returns). */
export function float32Base64(v: Float32Array): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

/** Keeps the first `d` components and rescales to unit length (OpenAI's `dimensions`). */
function shorten(v: Float32Array, d: number): Float32Array {
  const out = v.slice(0, d);
  const norm = Math.hypot(...out) || 1;
  return out.map((x) => x / norm);
}

export function registerEncoders(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/embeddings', { schema: { body: embeddingRequestSchema } }, async (req, reply) => {
    const body = req.body as EmbeddingRequest;
    const model = findModel(ctx, body.model, 'encoder');
    const inputs = embeddingInputs(body.input);
    let r;
    try {
      r = await ctx.engine.embed(model.id, inputs, clientGone(reply));
    } catch (e) {
      const h = toHttpError(e);
      throw h.code === 'context_length_exceeded' ? badRequest(h.message, 'input', h.code) : h;
    }
    const dim = r.embeddings[0]?.length ?? 0;
    if (body.dimensions !== undefined && body.dimensions > dim) throw badRequest(`Invalid 'dimensions': this model's embeddings have ${dim} dimensions.`, 'dimensions', 'invalid_value');
    ctx.metrics.promptTokens.inc({ model: model.id }, r.promptTokens);
    const res: EmbeddingResponse = {
      object: 'list',
      data: r.embeddings.map((v, index) => {
        const e = body.dimensions !== undefined ? shorten(v, body.dimensions) : v;
        return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? float32Base64(e) : Array.from(e) };
      }),
      model: model.id,
      usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
    };
    return res;
  });

  app.post('/v1/classify', { schema: { body: classifyRequestSchema } }, async (req, reply) => {
    const body = req.body as ClassifyRequest;
    const model = findModel(ctx, body.model, 'encoder');
    if (model.labels.length === 0) throw badRequest(`The model '${model.id}' has no classification head.`, 'model', 'model_not_supported');
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    let r;
    try {
      r = await ctx.engine.classify(model.id, texts, clientGone(reply));
    } catch (e) {
      const h = toHttpError(e);
      throw h.code === 'context_length_exceeded' ? badRequest(h.message, 'input', h.code) : h;
    }
    ctx.metrics.promptTokens.inc({ model: model.id }, r.promptTokens);
    const res: ClassifyResponse = {
      object: 'list',
      model: model.id,
      data: r.results.map((x, index) => ({ index, label: x.label, score: x.score, ...(body.scores ? { scores: x.scores } : {}) })),
      usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
    };
    return res;
  });
}
