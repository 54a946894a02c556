// Chat templates: renders a tokenizer's `chat_template` (Jinja) with @huggingface/jinja, passing what
// transformers' apply_chat_template passes (messages, tools, add_generation_prompt, bos_token, eos_token, ...).
import { Template } from '@huggingface/jinja';
import { BertchatError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import type { ChatMessage } from './types.js';

export interface ChatTemplateOptions {
  /** Append the assistant turn header so the model answers next (default false). */
  addGenerationPrompt?: boolean;
  /** Tool/function definitions (JSON schema objects) for templates that support them. */
  tools?: unknown[];
  /** Documents for RAG templates. */
  documents?: unknown[];
  /** A template string to use instead of the tokenizer's. */
  chatTemplate?: string;
  /** A named template from a `chat_template` list (e.g. 'tool_use'). */
  templateName?: string;
  /** Extra variables passed to the template. */
  extra?: Record<string, unknown>;
}

const templateCache = new Map<string, Template>();

function compile(source: string): Template {
  let t = templateCache.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (err) {
      throw new BertchatError('TOKENIZER', `chat_template does not parse: ${(err as Error).message}`, undefined, { cause: err });
    }
    if (templateCache.size > 32) templateCache.clear();
    templateCache.set(source, t);
  }
  return t;
}

function pickTemplate(tok: Tokenizer, opts: ChatTemplateOptions): string {
  if (opts.chatTemplate !== undefined) return opts.chatTemplate;
  const named = tok.settings.chatTemplates;
  if (opts.templateName !== undefined) {
    const t = named[opts.templateName];
    if (t === undefined) throw new BertchatError('TOKENIZER', `tokenizer_config.json has no chat template named ${JSON.stringify(opts.templateName)}`);
    return t;
  }
  if (opts.tools && named['tool_use'] !== undefined) return named['tool_use'];
  if (tok.chatTemplate !== null) return tok.chatTemplate;
  throw new BertchatError(
    'TOKENIZER',
    'this tokenizer has no chat_template (tokenizer_config.json "chat_template"); pass one with { chatTemplate } or use a chat model',
  );
}

/** Message content as a string: text parts of an array are joined with newlines; null stays null. */
function normalizeMessage(m: ChatMessage, i: number): ChatMessage {
  if (m === null || typeof m !== 'object' || typeof m.role !== 'string') {
    throw new BertchatError('INVALID_ARGUMENT', `messages[${i}] must be an object with a string "role"`);
  }
  if (Array.isArray(m.content)) {
    const text = m.content.filter((p) => p?.type === 'text' && typeof p.text === 'string').map((p) => p.text!).join('\n');
    return { ...m, content: text };
  }
  if (m.content !== null && m.content !== undefined && typeof m.content !== 'string') {
    throw new BertchatError('INVALID_ARGUMENT', `messages[${i}].content must be a string, an array of text parts or null`);
  }
  return m;
}

/**
 * Renders `messages` with the tokenizer's chat template, like transformers' `apply_chat_template(tokenize=False)`.
 * @example
 * applyChatTemplate(tok, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })
 * // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'  (ChatML template)
 */
export function applyChatTemplate(tok: Tokenizer, messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (!Array.isArray(messages)) throw new BertchatError('INVALID_ARGUMENT', 'messages must be an array');
  const template = compile(pickTemplate(tok, opts));
  const vars: Record<string, unknown> = {
    ...opts.extra,
    messages: messages.map(normalizeMessage),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
  };
  if (opts.tools !== undefined) vars['tools'] = opts.tools;
  if (opts.documents !== undefined) vars['documents'] = opts.documents;
  for (const [k, v] of Object.entries(tok.settings.specialTokens)) vars[k] = v;
  if (tok.settings.additionalSpecialTokens.length) vars['additional_special_tokens'] = tok.settings.additionalSpecialTokens;
  try {
    return template.render(vars);
  } catch (err) {
    throw new BertchatError('TOKENIZER', `chat_template failed to render: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/**
 * Renders and tokenizes a chat (no extra special tokens: the template already holds them), as
 * `apply_chat_template(tokenize=True)` does.
 * @example encodeChat(tok, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }) // [1, 32, ...]
 */
export function encodeChat(tok: Tokenizer, messages: ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
  return tok.encode(applyChatTemplate(tok, messages, opts), { addSpecialTokens: false }).inputIds;
}
