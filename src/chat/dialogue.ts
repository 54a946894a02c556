// The dialogue loop shared by `bertchat chat` and anything else that chats: a session's history from the
// store, one streamed reply per user turn through a ChatBackend, the turn committed as soon as it ends,
// the oldest turns dropped when the history outgrows the model's context, and WOZ state tracking.
import type { Engine } from '../server/engine.js';
import type { ChatMessage } from '../tokenizers/index.js';
import { isBertchatError } from '../util/errors.js';
import { trackState, type DialogueState } from './state-tracker.js';
import type { ConversationStore, SessionInfo, StoredMessage } from './store.js';

/** Produces a reply to a conversation as text pieces. Throws CONTEXT_LENGTH when the history is too long. */
export interface ChatBackend {
  reply(messages: ChatMessage[], signal?: AbortSignal): AsyncIterable<string>;
}

export interface ReplyOptions {
  maxTokens?: number | null;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number | null;
  stop?: string[];
}

/**
 * A ChatBackend over an Engine's causal LM (the model's own chat template).
 * @example const backend = engineBackend(await LocalEngine.load([{ name: 'chat', source: 'models/chat' }]), 'chat');
 */
export function engineBackend(engine: Engine, model: string, o: ReplyOptions = {}): ChatBackend {
  return {
    async *reply(messages, signal) {
      const events = engine.generate(
        {
          model,
          prompt: { messages },
          maxTokens: o.maxTokens ?? null,
          temperature: o.temperature ?? 0.7,
          topP: o.topP ?? 1,
          ...(o.topK !== undefined ? { topK: o.topK } : {}),
          n: 1,
          stop: o.stop ?? [],
          seed: o.seed ?? null,
          presencePenalty: 0,
          frequencyPenalty: 0,
          logitBias: {},
          logprobs: null,
          echo: false,
        },
        signal,
      );
      for await (const e of events) if (e.type === 'delta') yield e.text;
    },
  };
}

export interface TurnResult {
  reply: string;
  /** True when the reply was cut short (Ctrl-C); it is still stored, marked interrupted. */
  interrupted: boolean;
  /** Earlier messages left out of the prompt to fit the context. */
  dropped: number;
}

export class Dialogue {
  private session: SessionInfo;
  private history: StoredMessage[];

  constructor(
    private readonly store: ConversationStore,
    private readonly backend: ChatBackend,
    sessionName: string,
    private readonly system: string | null = null,
  ) {
    this.session = store.session(sessionName);
    this.history = store.messages(this.session.id);
  }

  get sessionName(): string {
    return this.session.name;
  }
  get messages(): readonly StoredMessage[] {
    return this.history;
  }
  /** Food / area / price range tracked from the user turns so far. */
  get state(): DialogueState {
    return trackState(this.history);
  }

  /** Starts a new, empty session (the old one stays in the store). */
  newSession(name = this.store.newSessionName()): void {
    this.session = this.store.session(name);
    this.history = this.store.messages(this.session.id);
  }

  private prompt(user: string, skip: number): ChatMessage[] {
    const msgs: ChatMessage[] = [];
    if (this.system) msgs.push({ role: 'system', content: this.system });
    for (const m of this.history.slice(skip)) msgs.push({ role: m.role, content: m.content });
    msgs.push({ role: 'user', content: user });
    return msgs;
  }

  /**
   * Answers one user message, calling `onText` with each piece as it arrives; commits the turn when done.
   * Aborting `signal` stops the reply; what was said so far is committed, marked interrupted.
   */
  async turn(user: string, onText: (piece: string) => void, signal?: AbortSignal): Promise<TurnResult> {
    let reply = '';
    let interrupted = false;
    let skip = 0;
    for (;;) {
      try {
        for await (const piece of this.backend.reply(this.prompt(user, skip), signal)) {
          reply += piece;
          onText(piece);
        }
        break;
      } catch (e) {
        if (signal?.aborted || isBertchatError(e, 'CANCELLED')) {
          interrupted = true;
          break;
        }
        // Too long: drop the oldest turn (user + assistant) and retry, until only the new message is left.
        if (isBertchatError(e, 'CONTEXT_LENGTH') && reply === '' && skip < this.history.length) {
          skip = Math.min(this.history.length, skip + 2);
          continue;
        }
        throw e;
      }
    }
    const turn: Array<StoredMessage & { interrupted?: boolean }> = [{ role: 'user', content: user }, { role: 'assistant', content: reply, interrupted }];
    this.store.append(this.session.id, turn);
    this.history.push(...turn.map(({ role, content }) => ({ role, content })));
    return { reply, interrupted, dropped: skip };
  }
}
