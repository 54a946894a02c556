// POST /v1/chat/completions: messages rendered with the model's own chat template (in the worker), then
// one generation with n choices, answered or streamed as chat.completion(.chunk) objects.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ChatMessage } from '../../tokenizers/index.js';
import { trackState } from '../../chat/state-tracker.js';
import type { GenerateRequest, TokenLogprob } from '../engine.js';
import { badRequest } from '../errors.js';
import { newId, SYSTEM_FINGERPRINT, unixNow } from '../ids.js';
import {
  chatRequestSchema,
  type ChatChoiceLogprobs,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatRequestMessage,
  type ChatTokenLogprob,
  type FinishReason,
  type Usage,
} from '../openai-types.js';
import { clientGone, sendSse, SSE_DONE, sseData } from '../sse.js';
import { drain, findModel, samplingFields, startGeneration, streamErrorFrame, type RouteContext } from './common.js';

export function toChatMessages(messages: ChatRequestMessage[]): ChatMessage[] {
  return messages.map((m) => {
    const content = m.content === null ? '' : typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('\n');
    const out: ChatMessage = { role: m.role === 'developer' ? 'system' : m.role, content };
    if (m.name !== undefined) out['name'] = m.name;
    return out;
  });
}

const chatLogprobs = (tokens: TokenLogprob[]): ChatTokenLogprob[] =>
  tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top.map((x) => ({ token: x.token, logprob: x.logprob, bytes: x.bytes })) }));

async function handle(ctx: RouteContext, body: ChatCompletionRequest, reply: FastifyReply): Promise<unknown> {
  const model = findModel(ctx, body.model, 'causal-lm');
  if (!model.chat) throw badRequest(`The model '${body.model}' has no chat template; use /v1/completions.`, 'model', 'model_not_supported');
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true) {
    throw badRequest('logprobs must be set to true if top_logprobs is used.', 'top_logprobs', 'invalid_value');
  }
  const logprobs = body.logprobs === true ? (body.top_logprobs ?? 0) : null;
  const messages = toChatMessages(body.messages);
  const sampling = samplingFields(body);
  const req: GenerateRequest = { model: body.model, prompt: { messages }, maxTokens: body.max_completion_tokens ?? body.max_tokens ?? null, logprobs, echo: false, ...sampling };
  const state = body.bertchat_state ? trackState(messages) : undefined;
  const signal = clientGone(reply);
  const head = { id: newId('chatcmpl'), object: 'chat.completion' as const, created: unixNow(), model: body.model, system_fingerprint: SYSTEM_FINGERPRINT };
  const n = sampling.n;
  const g = await startGeneration(ctx, req, signal, 'messages');
  const usage: Usage = { prompt_tokens: g.prompt.promptTokens, completion_tokens: 0, total_tokens: 0 };

  if (!body.stream) {
    const text = Array.from({ length: n }, () => '');
    const lps: ChatTokenLogprob[][] = Array.from({ length: n }, () => []);
    const finish: FinishReason[] = Array.from({ length: n }, () => 'stop');
    await drain(g.rest, (e) => {
      if (e.type === 'delta') {
        text[e.index] += e.text;
        if (e.logprobs) lps[e.index]!.push(...chatLogprobs(e.logprobs));
      } else if (e.type === 'finish') {
        finish[e.index] = e.reason;
        usage.completion_tokens += e.completionTokens;
      }
    });
    ctx.metrics.completionTokens.inc({ model: body.model }, usage.completion_tokens);
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const res: ChatCompletion = {
      ...head,
      choices: text.map((content, index) => ({
        index,
        message: { role: 'assistant', content, refusal: null },
        logprobs: logprobs === null ? null : { content: lps[index]!, refusal: null },
        finish_reason: finish[index]!,
      })),
      usage,
    };
    if (state) res.bertchat_state = state;
    return res;
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const mk = (choices: ChatCompletionChunk['choices']): ChatCompletionChunk => {
    const c: ChatCompletionChunk = { ...head, object: 'chat.completion.chunk', choices };
    if (includeUsage) c.usage = null;
    return c;
  };
  const chunk = (choices: ChatCompletionChunk['choices']): string => sseData(mk(choices));
  const frames = async function* (): AsyncGenerator<string> {
    const t0 = Date.now();
    const started = new Set<number>();
    try {
      for (let r = await g.rest.next(); !r.done; r = await g.rest.next()) {
        const e = r.value;
        if (e.type === 'prompt') continue;
        if (!started.has(e.index)) {
          started.add(e.index);
          if (started.size === 1) ctx.metrics.timeToFirstToken.observe({ model: body.model }, (Date.now() - t0) / 1000);
          yield chunk([{ index: e.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
        }
        if (e.type === 'delta') {
          const lp: ChatChoiceLogprobs | null = logprobs === null ? null : { content: chatLogprobs(e.logprobs ?? []), refusal: null };
          yield chunk([{ index: e.index, delta: { content: e.text }, logprobs: lp, finish_reason: null }]);
        } else {
          usage.completion_tokens += e.completionTokens;
          const last = mk([{ index: e.index, delta: {}, logprobs: null, finish_reason: e.reason }]);
          if (state) last.bertchat_state = state;
          yield sseData(last);
        }
      }
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      if (includeUsage) yield sseData({ ...head, object: 'chat.completion.chunk', choices: [], usage });
    } catch (e) {
      if (!signal.aborted) yield sseData(streamErrorFrame(e));
    } finally {
      ctx.metrics.completionTokens.inc({ model: body.model }, usage.completion_tokens);
    }
    yield SSE_DONE;
  };
  return sendSse(reply, frames());
}

export function registerChat(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/chat/completions', { schema: { body: chatRequestSchema } }, (req, reply) => handle(ctx, req.body as ChatCompletionRequest, reply));
}
