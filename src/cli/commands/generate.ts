// `bertchat generate`: continues a prompt (flag or stdin) with a causal LM, streaming text to stdout.
import { readFileSync } from 'node:fs';
import { numberFlag, parseFlags, readStdin, UsageError, EXIT_OK, type Command } from '../command.js';
import { parseModelSpec } from '../../server/engine.js';
import { LocalEngine } from '../../server/local-engine.js';
import { bundledModelSpecs } from '../../server/serve.js';
import { BertchatError } from '../../util/errors.js';

const help = `Usage: bertchat generate [--model NAME=PATH] [--prompt TEXT] [options]

Generates a continuation of the prompt (from --prompt, else stdin) and streams it to stdout.

Options:
  --model PATH|NAME=PATH  model folder or hub id (default: bundled models/chat)
  --prompt TEXT           the prompt (default: read stdin)
  --chat                  treat the prompt as one user message, rendered with the chat template
  --chat-template FILE    a Jinja chat template (with --chat, for a model whose tokenizer has none)
  --max-tokens N          new tokens at most (default 64)
  --temperature T         0 = greedy (default 0.7)
  --top-p P               nucleus sampling (default 1)
  --seed N                sampling seed
  --stop TEXT             a stop string (repeatable, up to 4)

Example:
  bertchat generate --model ./gpt2 --prompt "Once upon a time" --max-tokens 40 --seed 1
`;

export const generateCommand: Command = {
  name: 'generate',
  summary: 'stream a text continuation from a causal LM',
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
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const str = (k: string) => values[k] as string | undefined;
    const stop = (values['stop'] as string[] | undefined) ?? [];
    if (stop.length > 4) throw new UsageError('--stop may be given at most 4 times');
    const spec = str('model') ? parseModelSpec(str('model')!) : bundledModelSpecs().specs.find((s) => s.name === 'chat');
    if (!spec) throw new BertchatError('NOT_FOUND', 'the bundled chat model (models/chat) is missing; pass --model PATH');
    if (str('chat-template')) spec.chatTemplate = readFileSync(str('chat-template')!, 'utf8');
    const prompt = str('prompt') ?? (await readStdin(io.stdin)).replace(/\n$/, '');
    const engine = await LocalEngine.load([spec]);
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      const events = engine.generate(
        {
          model: spec.name,
          prompt: values['chat'] ? { messages: [{ role: 'user', content: prompt }] } : { text: prompt },
          maxTokens: numberFlag(str('max-tokens'), 'max-tokens', { int: true, min: 0 }) ?? 64,
          temperature: numberFlag(str('temperature'), 'temperature', { min: 0, max: 2 }) ?? 0.7,
          topP: numberFlag(str('top-p'), 'top-p', { min: 0, max: 1 }) ?? 1,
          n: 1,
          stop,
          seed: numberFlag(str('seed'), 'seed', { int: true }) ?? null,
          presencePenalty: 0,
          frequencyPenalty: 0,
          logitBias: {},
          logprobs: null,
          echo: false,
        },
        ac.signal,
      );
      for await (const e of events) if (e.type === 'delta') io.stdout.write(e.text);
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    } finally {
      process.off('SIGINT', onSigint);
      await engine.close();
    }
    io.stdout.write('\n');
    return EXIT_OK;
  },
};
