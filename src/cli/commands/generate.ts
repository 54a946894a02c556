// `bertchat generate`: continues a prompt (flag or stdin) with a causal LM through src/generation's generate(),
// streaming whole characters to stdout (the tokenizer's stream decoder), or printing one JSON object (--json).
import { readFileSync } from 'node:fs';
import { numberFlag, parseFlags, readStdin, UsageError, EXIT_OK, type CliIO, type Command } from '../command.js';
import { generate, MAX_STOP_STRINGS, type GenerateOptions, type GenerationResult } from '../../generation/index.js';
import { parseModelSpec } from '../../server/engine.js';
import { loadServedModel, type LoadedCausalLM } from '../../server/load-models.js';
import { bundledModelSpecs } from '../../server/serve.js';
import { applyChatTemplate, createStreamDecoder } from '../../tokenizers/index.js';
import { BertchatError, isBertchatError } from '../../util/errors.js';

const help = `Usage: bertchat generate [--model PATH|NAME=PATH] [--prompt TEXT] [options]

Generates a continuation of the prompt (from --prompt, else stdin) and streams it to stdout.

Options:
  --model PATH|NAME=PATH  model folder or hub id (default: bundled models/chat)
  --prompt TEXT           the prompt (default: read stdin; one trailing newline is dropped)
  --chat                  treat the prompt as one user message, rendered with the chat template
  --chat-template FILE    a Jinja chat template (with --chat, for a model whose tokenizer has none)
  --max-tokens N          new tokens at most, per choice (default 64; 0 = none)
  --temperature T         0 = greedy (default 0.7)
  --top-p P               nucleus sampling: keep the most likely tokens up to mass P (default 1 = off)
  --top-k K               keep the K most likely tokens (default 0 = off)
  --repetition-penalty R  HF repetition penalty over prompt and output (default 1 = off)
  --seed N                sampling seed (same seed, same text)
  --stop TEXT             a stop string, never printed (repeatable, up to ${MAX_STOP_STRINGS})
  --n N                   choices to generate (default 1); with N > 1 each is printed under "--- choice i ---"
  --json                  print one JSON object: {model, prompt_tokens, choices: [{index, text, token_ids,
                          finish_reason}], usage} instead of streaming text

Example:
  bertchat generate --model ./gpt2 --prompt "Once upon a time" --max-tokens 40 --seed 1
  echo "The capital of France is" | bertchat generate --model ./gpt2 --temperature 0 --json
`;

interface Flags {
  opts: GenerateOptions;
  json: boolean;
}

function readOptions(values: Record<string, unknown>): Flags {
  const str = (k: string) => values[k] as string | undefined;
  const stop = (values['stop'] as string[] | undefined) ?? [];
  if (stop.length > MAX_STOP_STRINGS) throw new UsageError(`--stop may be given at most ${MAX_STOP_STRINGS} times`);
  const opts: GenerateOptions = {
    maxTokens: numberFlag(str('max-tokens'), 'max-tokens', { int: true, min: 0 }) ?? 64,
    temperature: numberFlag(str('temperature'), 'temperature', { min: 0, max: 100 }) ?? 0.7,
    n: numberFlag(str('n'), 'n', { int: true, min: 1, max: 128 }) ?? 1,
    stop,
  };
  const topP = numberFlag(str('top-p'), 'top-p', { min: 0, max: 1 });
  if (topP !== undefined) opts.topP = topP > 0 ? topP : Number.MIN_VALUE;
  const topK = numberFlag(str('top-k'), 'top-k', { int: true, min: 0 });
  if (topK !== undefined) opts.topK = topK;
  const rep = numberFlag(str('repetition-penalty'), 'repetition-penalty', { min: 0.01, max: 100 });
  if (rep !== undefined) opts.repetitionPenalty = rep;
  const seed = numberFlag(str('seed'), 'seed', { int: true });
  if (seed !== undefined) opts.seed = seed;
  return { opts, json: values['json'] === true };
}

function promptIds(m: LoadedCausalLM, prompt: string, chat: boolean): number[] {
  const tok = m.tokenizer;
  let ids: number[];
  if (chat) {
    if (m.chatTemplate === null) throw new BertchatError('INVALID_ARGUMENT', 'this model has no chat template; pass --chat-template FILE or drop --chat');
    ids = tok.encode(applyChatTemplate(tok, [{ role: 'user', content: prompt }], { addGenerationPrompt: true, chatTemplate: m.chatTemplate }), { addSpecialTokens: false }).inputIds;
  } else ids = tok.encode(prompt).inputIds;
  if (ids.length === 0) {
    const start = tok.bosTokenId ?? m.lm.eosTokenIds[0];
    if (start === undefined || start === null) throw new BertchatError('INVALID_ARGUMENT', 'the prompt is empty and the model has no BOS token');
    ids.push(start);
  }
  return ids;
}

/** Runs generate(): n = 1 streams text as it comes; more choices (or --json) print when all are done. */
async function run(m: LoadedCausalLM, name: string, ids: number[], f: Flags, io: CliIO, signal: AbortSignal): Promise<void> {
  const opts: GenerateOptions = { ...f.opts, signal, stopTokenIds: m.stopTokenIds, streamDecoder: () => createStreamDecoder(m.tokenizer, { skipSpecialTokens: true }) };
  const stream = !f.json && opts.n === 1;
  const results: GenerationResult[] = [];
  for await (const ev of generate(m.lm, [ids], opts)) {
    if (stream && ev.text) io.stdout.write(ev.text);
    if (ev.type === 'finish') results[ev.choice] = ev.result;
  }
  if (stream) {
    io.stdout.write('\n');
  } else if (f.json) {
    const completion = results.reduce((s, r) => s + r.completionTokens, 0);
    const choices = results.map((r) => ({ index: r.choice, text: r.text, token_ids: r.tokenIds, finish_reason: r.finishReason }));
    io.stdout.write(`${JSON.stringify({ model: name, prompt_tokens: ids.length, choices, usage: { prompt_tokens: ids.length, completion_tokens: completion, total_tokens: ids.length + completion } })}\n`);
  } else {
    for (const r of results) io.stdout.write(`--- choice ${r.choice} ---\n${r.text}\n`);
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Stream a text continuation from a causal LM',
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      model: { type: 'string' },
      prompt: { type: 'string' },
      chat: { type: 'boolean' },
      'chat-template': { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      n: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const flags = readOptions(values);
    const model = values['model'] as string | undefined;
    const spec = model ? parseModelSpec(model) : bundledModelSpecs().specs.find((s) => s.name === 'chat');
    if (!spec) throw new BertchatError('NOT_FOUND', 'the bundled chat model (models/chat) is missing; pass --model PATH');
    const template = values['chat-template'] as string | undefined;
    if (template) spec.chatTemplate = readFileSync(template, 'utf8');
    const prompt = (values['prompt'] as string | undefined) ?? (await readStdin(io.stdin)).replace(/\r?\n$/, '');
    const m = await loadServedModel(spec);
    if (m.kind !== 'causal-lm') throw new BertchatError('INVALID_ARGUMENT', `${spec.source} is an encoder model; generate needs a causal LM (GPT-2, Llama, ...)`);
    const ids = promptIds(m, prompt, values['chat'] === true);
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      await run(m, spec.name, ids, flags, io, ac.signal);
    } catch (e) {
      if (!(ac.signal.aborted && isBertchatError(e, 'CANCELLED'))) throw e;
      io.stdout.write('\n'); // Ctrl-C: what was printed stays; end the line
    } finally {
      process.off('SIGINT', onSigint);
    }
    return EXIT_OK;
  },
};
