// Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, then `data: [DONE]\n\n`, with
// Content-Type text/event-stream. Also the per-request AbortSignal that fires when the client goes away.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export const sseData = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

/** Sends an async generator of SSE frames as the response body (Fastify ends it; hooks still run). */
export function sendSse(reply: FastifyReply, frames: AsyncGenerator<string>): FastifyReply {
  reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
  return reply.send(Readable.from(frames, { objectMode: false }));
}

/** An AbortSignal that aborts when the connection closes before the response has been fully written. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
