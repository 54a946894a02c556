// `bertchat chat`: an interactive terminal chat that streams replies, stores every turn in SQLite as it
// completes (resume with --session), and tracks the WOZ restaurant state (/state). Not a TTY: one reply per line.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { numberFlag, parseFlags, UsageError, EXIT_OK, type Command } from '../command.js';
import { Dialogue, engineBackend } from '../../chat/dialogue.js';
import { formatState } from '../../chat/state-tracker.js';
import { ConversationStore, DEFAULT_DB_PATH } from '../../chat/store.js';
import { parseModelSpec, type ModelSpec } from '../../server/engine.js';
import { LocalEngine } from '../../server/local-engine.js';
import { bundledModelSpecs } from '../../server/serve.js';
import { BertchatError } from '../../util/errors.js';

const help = `Usage: bertchat chat [--model NAME=PATH] [--session NAME] [options]

Chats in the terminal with a causal LM (default: the bundled models/chat), streaming each reply.
Every turn is saved to SQLite as it completes; --session NAME resumes (or creates) a named session.
Commands: /new (start a new session), /state (restaurant slots tracked so far), /session, /exit.
Ctrl-C stops a reply being written (it is kept, marked interrupted); at the prompt it exits.
When stdin is not a terminal, each input line is answered with one output line.

Options:
  --model NAME=PATH      model folder or hub id (default: bundled models/chat)
  --chat-template FILE   a Jinja chat template, for a model whose tokenizer has none
  --db FILE              conversation database (default ${DEFAULT_DB_PATH})
  --session NAME         session to resume or create (default: a new one)
  --system TEXT          a system message sent before the conversation
  --max-tokens N         reply length limit (default: up to the model's context)
  --temperature T        sampling temperature (default 0.7; 0 = greedy)
  --top-p P              nucleus sampling (default 1 = off)
  --top-k K              keep the K most likely tokens (default 0 = off)
  --seed N               sampling seed
`;

function chatSpec(model: string | undefined, template: string | undefined): ModelSpec {
  let spec: ModelSpec | undefined;
  if (model) spec = parseModelSpec(model);
  else spec = bundledModelSpecs().specs.find((s) => s.name === 'chat');
  if (!spec) throw new BertchatError('NOT_FOUND', 'the bundled chat model (models/chat) is missing; pass --model NAME=PATH');
  if (template) spec.chatTemplate = readFileSync(template, 'utf8');
  return spec;
}

export const chatCommand: Command = {
  name: 'chat',
  summary: 'Chat in the terminal (streamed, stored in SQLite, with restaurant state tracking)',
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      model: { type: 'string' },
      'chat-template': { type: 'string' },
      db: { type: 'string' },
      session: { type: 'string' },
      system: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      seed: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const str = (k: string) => values[k] as string | undefined;
    const spec = chatSpec(str('model'), str('chat-template'));
    const replyOpts = {
      maxTokens: numberFlag(str('max-tokens'), 'max-tokens', { int: true, min: 1 }) ?? null,
      temperature: numberFlag(str('temperature'), 'temperature', { min: 0, max: 2 }) ?? 0.7,
      topP: numberFlag(str('top-p'), 'top-p', { min: 0, max: 1 }) ?? 1,
      ...(str('top-k') !== undefined ? { topK: numberFlag(str('top-k'), 'top-k', { int: true, min: 0 })! } : {}),
      seed: numberFlag(str('seed'), 'seed', { int: true }) ?? null,
    };
    const engine = await LocalEngine.load([spec]);
    const store = ConversationStore.open(str('db') ?? DEFAULT_DB_PATH);
    const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
    const out = (s: string) => io.stdout.write(s);
    const dialogue = new Dialogue(store, engineBackend(engine, spec.name, replyOpts), str('session') ?? store.newSessionName(), str('system') ?? null);
    const rl = createInterface({ input: io.stdin, output: tty ? io.stdout : undefined, terminal: tty, prompt: 'you> ' });
    let current: AbortController | null = null;
    const onSigint = () => (current ? current.abort() : rl.close());
    rl.on('SIGINT', onSigint);
    process.on('SIGINT', onSigint);
    if (tty) {
      out(`session ${dialogue.sessionName} (${dialogue.messages.length} messages) — /new, /state, /exit; Ctrl-C stops a reply\n`);
      rl.prompt();
    }
    try {
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '') {
          if (tty) rl.prompt();
          continue;
        }
        if (line === '/exit' || line === '/quit') break;
        if (line === '/new') {
          dialogue.newSession();
          out(`new session ${dialogue.sessionName}\n`);
        } else if (line === '/state') {
          out(`${formatState(dialogue.state)}\n`);
        } else if (line === '/session') {
          out(`${dialogue.sessionName} (${dialogue.messages.length} messages)\n`);
        } else {
          current = new AbortController();
          if (tty) out('bot> ');
          const r = await dialogue.turn(line, (piece) => out(tty ? piece : piece.replace(/\n/g, ' ')), current.signal);
          current = null;
          out(r.interrupted ? ' [interrupted]\n' : '\n');
        }
        if (tty) rl.prompt();
      }
    } finally {
      process.off('SIGINT', onSigint);
      rl.close();
      store.close();
      await engine.close();
    }
    if (tty) out(`saved session ${dialogue.sessionName}; resume with: bertchat chat --session ${dialogue.sessionName}\n`);
    return EXIT_OK;
  },
};
