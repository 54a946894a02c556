// `bertchat serve`: the OpenAI-compatible server (and the chat page at /) on loopback by default.
import { numberFlag, parseFlags, UsageError, EXIT_OK, type Command } from '../command.js';
import { DEFAULT_HOST, DEFAULT_PORT, specsFromFlags, startServer } from '../../server/serve.js';
import { getLogLevel, setLogLevel, setLogSink } from '../../util/logging.js';

const help = `Usage: bertchat serve [--model NAME=PATH_OR_HUB_ID ...] [options]

Serves an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions, /v1/embeddings,
/v1/classify, /health, /metrics) and a chat page at /. With no --model, serves the bundled models
(models/chat as "chat", models/sentiment as "sentiment") that exist.

Options:
  --model NAME=PATH         a model folder or hub id, served as NAME (repeatable)
  --chat-template NAME=FILE a Jinja chat template for a model whose tokenizer has none (repeatable)
  --host HOST               address to listen on (default ${DEFAULT_HOST}, loopback only; 0.0.0.0 exposes it to the network)
  --port PORT               port (default ${DEFAULT_PORT}; 0 = any free port)
  --api-key KEY             require "Authorization: Bearer KEY" on /v1 (default: $BERTCHAT_API_KEY)
  --workers N               model worker threads, each loading every model (default 1)
  --max-queue N             requests allowed to wait for a worker; more get 429 (default 32)
  --threads N               native kernel threads per worker (default: $BERTCHAT_THREADS, else
                            (CPUs - 1) / workers, keeping a core free for the HTTP event loop)

Example:
  bertchat serve --model gpt2=openai-community/gpt2 --port 8000
  # OpenAI clients: base URL http://127.0.0.1:8000/v1
`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve models over an OpenAI-compatible HTTP API, with a web chat page',
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      model: { type: 'string', multiple: true },
      'chat-template': { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      'api-key': { type: 'string' },
      workers: { type: 'string' },
      'max-queue': { type: 'string' },
      threads: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (getLogLevel() === 'silent') setLogLevel('warn');
    setLogSink((level, msg) => io.stderr.write(`bertchat ${level}: ${msg}\n`));
    const specs = specsFromFlags((values['model'] as string[] | undefined) ?? [], (values['chat-template'] as string[] | undefined) ?? []);
    const server = await startServer({
      models: specs,
      host: (values['host'] as string | undefined) ?? DEFAULT_HOST,
      port: numberFlag(values['port'] as string | undefined, 'port', { int: true, min: 0, max: 65535 }) ?? DEFAULT_PORT,
      apiKey: (values['api-key'] as string | undefined) ?? process.env['BERTCHAT_API_KEY'] ?? null,
      workers: numberFlag(values['workers'] as string | undefined, 'workers', { int: true, min: 1, max: 64 }) ?? 1,
      maxQueue: numberFlag(values['max-queue'] as string | undefined, 'max-queue', { int: true, min: 0 }) ?? 32,
      threads: numberFlag(values['threads'] as string | undefined, 'threads', { int: true, min: 1, max: 256 }) ?? null,
    });
    // Handlers first, then the line: a supervisor that signals as soon as it reads the line must not kill us.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    const names = server.engine.models().map((m) => m.id).join(', ');
    io.stdout.write(`bertchat serving ${names} at ${server.url}  (OpenAI base URL ${server.baseURL}; chat page ${server.url}/)\n`);
    await stopped;
    await server.close();
    return EXIT_OK;
  },
};
