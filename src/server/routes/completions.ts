// POST /v1/completions and the legacy POST /v1/engines/{engine}/completions (pre-1.0 openai-python's
// Completion.create(engine=...)): validate, run one generation per prompt, answer or stream in OpenAI's shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GenerateEvent, GenerateRequest, PromptTokenLogprob, TokenLogprob } from '../engine.js';
import { badRequest } from '../errors.js';
import { newId, SYSTEM_FINGERPRINT, unixNow } from '../ids.js';
import {
  completionRequestSchema,
  engineCompletionRequestSchema,
  type Completion,
  type CompletionChoice,
  type CompletionLogprobs,
  type CompletionRequest,
  type Usage,
} from '../openai-types.js';
import { clientGone, sendSse, SSE_DONE, sseData } from '../sse.js';
import { drain, findModel, samplingFields, startGeneration, streamErrorFrame, type RouteContext } from './common.js';

type Prompt = GenerateRequest['prompt'];

/** string | string[] | number[] | number[][] → one prompt each. */
export function normalizePrompts(p: CompletionRequest['prompt']): Prompt[] {
  if (typeof p === 'string') return [{ text: p }];
  const arr = p as unknown[];
  if (arr.every((x) => typeof x === 'string')) return (arr as string[]).map((text) => ({ text }));
  if (arr.every((x) => typeof x === 'number')) return [{ ids: arr as number[] }];
  if (arr.every((x) => Array.isArray(x))) return (arr as number[][]).map((ids) => ({ ids }));
  throw badRequest("Invalid 'prompt': expected a string, an array of strings, an array of token ids or an array of token-id arrays.", 'prompt', 'invalid_value');
}

class ChoiceAcc {
  text = '';
  finish: CompletionChoice['finish_reason'] = null;
  lp: CompletionLogprobs | null;
  private offset = 0;
  constructor(withLogprobs: boolean) {
    this.lp = withLogprobs ? { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] } : null;
  }
  addTokens(tokens: Array<TokenLogprob | PromptTokenLogprob>): void {
    if (!this.lp) return;
    for (const t of tokens) {
      this.lp.tokens.push(t.token);
      this.lp.token_logprobs.push(t.logprob);
      this.lp.top_logprobs.push(t.logprob === null ? null : Object.fromEntries(t.top.map((x) => [x.token, x.logprob])));
      this.lp.text_offset.push(this.offset);
      this.offset += t.token.length;
    }
  }
}

/** Logprobs of one delta in the completions shape (offsets continue from `acc`). */
function deltaLogprobs(acc: ChoiceAcc, tokens: TokenLogprob[] | undefined): CompletionLogprobs | null {
  if (!acc.lp || !tokens) return null;
  const before = acc.lp.tokens.length;
  acc.addTokens(tokens);
  const slice = <T>(a: T[]) => a.slice(before);
  return { tokens: slice(acc.lp.tokens), token_logprobs: slice(acc.lp.token_logprobs), top_logprobs: slice(acc.lp.top_logprobs), text_offset: slice(acc.lp.text_offset) };
}

async function handle(ctx: RouteContext, body: CompletionRequest, reply: FastifyReply): Promise<unknown> {
  findModel(ctx, body.model, 'causal-lm');
  if (body.suffix !== undefined && body.suffix !== null && body.suffix !== '') {
    throw badRequest('suffix is not supported by this server (no fill-in-the-middle models).', 'suffix', 'unsupported_parameter');
  }
  const prompts = normalizePrompts(body.prompt);
  const sampling = samplingFields(body);
  const bestOf = body.best_of ?? sampling.n;
  if (bestOf < sampling.n) throw badRequest('best_of must be greater than or equal to n.', 'best_of', 'invalid_value');
  if (bestOf > sampling.n && body.stream) throw badRequest('best_of > n cannot be streamed.', 'best_of', 'invalid_value');
  const logprobs = body.logprobs ?? null;
  const echo = body.echo ?? false;
  const reqs: GenerateRequest[] = prompts.map((prompt) => ({ model: body.model, prompt, maxTokens: body.max_tokens ?? 16, logprobs, echo, bestOf, ...sampling }));
  const signal = clientGone(reply);
  const id = newId('cmpl');
  const created = unixNow();
  const head = { id, object: 'text_completion' as const, created, model: body.model, system_fingerprint: SYSTEM_FINGERPRINT };
  const n = sampling.n;
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const count = (e: GenerateEvent) => {
    if (e.type === 'finish') usage.completion_tokens += e.completionTokens;
  };
  const first = await startGeneration(ctx, reqs[0]!, signal, 'prompt');

  if (!body.stream) {
    const accs = Array.from({ length: prompts.length * n }, () => new ChoiceAcc(logprobs !== null));
    for (let p = 0; p < reqs.length; p++) {
      const g = p === 0 ? first : await startGeneration(ctx, reqs[p]!, signal, 'prompt');
      usage.prompt_tokens += g.prompt.promptTokens;
      for (let i = 0; i < n; i++) {
        const acc = accs[p * n + i]!;
        if (echo) acc.text = g.prompt.text ?? '';
        if (echo && g.prompt.logprobs) acc.addTokens(g.prompt.logprobs);
      }
      await drain(g.rest, (e) => {
        count(e);
        if (e.type === 'delta') {
          const acc = accs[p * n + e.index]!;
          acc.text += e.text;
          if (e.logprobs) acc.addTokens(e.logprobs);
        } else if (e.type === 'finish') accs[p * n + e.index]!.finish = e.reason;
      });
    }
    ctx.metrics.completionTokens.inc({ model: body.model }, usage.completion_tokens);
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const res: Completion = { ...head, choices: accs.map((a, index) => ({ text: a.text, index, logprobs: a.lp, finish_reason: a.finish })), usage };
    return res;
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const withUsage = <T extends object>(o: T) => (includeUsage ? { ...o, usage: null } : o);
  const frames = async function* (): AsyncGenerator<string> {
    const t0 = Date.now();
    let firstText = true;
    try {
      for (let p = 0; p < reqs.length; p++) {
        const g = p === 0 ? first : await startGeneration(ctx, reqs[p]!, signal, 'prompt');
        usage.prompt_tokens += g.prompt.promptTokens;
        const accs = Array.from({ length: n }, () => new ChoiceAcc(logprobs !== null));
        if (echo) {
          for (let i = 0; i < n; i++) {
            const lp = g.prompt.logprobs ? deltaLogprobs(accs[i]!, g.prompt.logprobs as TokenLogprob[]) : null;
            yield sseData(withUsage({ ...head, choices: [{ text: g.prompt.text ?? '', index: p * n + i, logprobs: lp, finish_reason: null }] }));
          }
        }
        for (let r = await g.rest.next(); !r.done; r = await g.rest.next()) {
          const e = r.value;
          count(e);
          if (e.type === 'delta') {
            if (firstText) ctx.metrics.timeToFirstToken.observe({ model: body.model }, (Date.now() - t0) / 1000);
            firstText = false;
            const choice: CompletionChoice = { text: e.text, index: p * n + e.index, logprobs: deltaLogprobs(accs[e.index]!, e.logprobs), finish_reason: null };
            yield sseData(withUsage({ ...head, choices: [choice] }));
          } else if (e.type === 'finish') {
            yield sseData(withUsage({ ...head, choices: [{ text: '', index: p * n + e.index, logprobs: null, finish_reason: e.reason }] }));
          }
        }
      }
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      if (includeUsage) yield sseData({ ...head, choices: [], usage });
    } catch (e) {
      if (!signal.aborted) yield sseData(streamErrorFrame(e));
    } finally {
      ctx.metrics.completionTokens.inc({ model: body.model }, usage.completion_tokens);
    }
    yield SSE_DONE;
  };
  return sendSse(reply, frames());
}

export function registerCompletions(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/completions', { schema: { body: completionRequestSchema } }, (req: FastifyRequest, reply) => handle(ctx, req.body as CompletionRequest, reply));
  app.post<{ Params: { engine: string } }>('/v1/engines/:engine/completions', { schema: { body: engineCompletionRequestSchema } }, (req, reply) =>
    handle(ctx, { ...(req.body as Omit<CompletionRequest, 'model'>), model: req.params.engine }, reply),
  );
}
