// Records → token-id examples for each objective: classification (text or pairs, label index), masked LM
// (one line per example, word starts for whole-word masking), causal LM (grouped blocks or lines) and
// dialogues rendered with the tokenizer's chat template (assistant-only loss masks other tokens with -100).
import { applyChatTemplate } from '../../tokenizers/chat-template.js';
import type { Tokenizer } from '../../tokenizers/tokenizer.js';
import type { ChatMessage } from '../../tokenizers/types.js';
import { dataError } from './read.js';
import type { RawRecord } from './records.js';

export interface Example {
  ids: Int32Array;
  /** Segment ids (sentence pairs), or null. */
  typeIds: Int32Array | null;
  /** Class index (classification), else -1. */
  label: number;
  /** Causal LM: per-position targets before shifting (the id, or -100 for no loss); null = all ids. */
  lmLabels: Int32Array | null;
  /** Masked LM: 1 where a token starts a word (whole-word masking). */
  wordStarts: Uint8Array | null;
}

/** ChatML, used for dialogues when the tokenizer has no chat_template. */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface ExampleOptions {
  maxLength: number;
  /** Causal LM over text: one example per line (true) or concatenated blocks (false). */
  lineByLine: boolean;
  assistantOnlyLoss: boolean;
}

function i32(a: number[]): Int32Array {
  return Int32Array.from(a);
}

/** Classification examples; `labelIndex` maps label strings (unknown → DATA error naming the line). */
export function classificationExamples(tok: Tokenizer, recs: RawRecord[], labelIndex: Map<string, number>, maxLength: number, labelSource: string): Example[] {
  return recs.map((r) => {
    const label = labelIndex.get(r.label!);
    if (label === undefined) {
      throw dataError(r.file, r.line, `unknown label ${JSON.stringify(r.label)}: not in the label set of ${labelSource} (${[...labelIndex.keys()].map((k) => JSON.stringify(k)).join(', ')}); the label sets of train and validation differ`);
    }
    const enc = tok.encode(r.text, { textPair: r.pair, truncation: r.pair !== null ? 'longest_first' : true, maxLength, returnTokenTypeIds: r.pair !== null ? true : undefined });
    return { ids: i32(enc.inputIds), typeIds: enc.tokenTypeIds && r.pair !== null ? i32(enc.tokenTypeIds) : null, label, lmLabels: null, wordStarts: null };
  });
}

/** Masked-LM examples, one per line, truncated to maxLength, with word starts from the token strings. */
export function maskedLmExamples(tok: Tokenizer, recs: RawRecord[], maxLength: number): Example[] {
  const out: Example[] = [];
  for (const r of recs) {
    const enc = tok.encode(r.text, { truncation: true, maxLength });
    if (enc.inputIds.length < 3) continue;
    const tokens = enc.tokens ?? tok.convertIdsToTokens(enc.inputIds);
    const starts = Uint8Array.from(tokens, (t) => (t.startsWith('##') ? 0 : 1));
    out.push({ ids: i32(enc.inputIds), typeIds: null, label: -1, lmLabels: null, wordStarts: starts });
  }
  return out;
}

/** Causal-LM examples from text: lines (each + eos) or the whole text cut into blocks of maxLength. */
export function causalTextExamples(tok: Tokenizer, recs: RawRecord[], opts: ExampleOptions): Example[] {
  const eos = tok.eosTokenId;
  if (opts.lineByLine) {
    const out: Example[] = [];
    for (const r of recs) {
      const ids = tok.encode(r.text, { addSpecialTokens: false }).inputIds;
      if (eos !== null) ids.push(eos);
      if (ids.length < 2) continue;
      out.push({ ids: i32(ids.slice(0, opts.maxLength)), typeIds: null, label: -1, lmLabels: null, wordStarts: null });
    }
    return out;
  }
  const stream: number[] = [];
  for (const r of recs) for (const id of tok.encode(`${r.text}\n`, { addSpecialTokens: false }).inputIds) stream.push(id);
  const out: Example[] = [];
  const L = opts.maxLength;
  for (let s = 0; s + 2 <= stream.length; s += L) {
    const block = stream.slice(s, s + L);
    if (block.length < L && out.length > 0) break; // drop the short tail, as HF group_texts
    out.push({ ids: i32(block), typeIds: null, label: -1, lmLabels: null, wordStarts: null });
  }
  return out;
}

/**
 * Dialogue examples: the chat template renders each conversation; with assistantOnlyLoss only the tokens of
 * assistant turns (as the template renders them, end marker included) carry a loss.
 */
export function dialogueExamples(tok: Tokenizer, recs: RawRecord[], opts: ExampleOptions): Example[] {
  const template = tok.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  const render = (msgs: ChatMessage[], gen: boolean): number[] =>
    tok.encode(applyChatTemplate(tok, msgs, { chatTemplate: template, addGenerationPrompt: gen }), { addSpecialTokens: false }).inputIds;
  const out: Example[] = [];
  for (const r of recs) {
    const msgs = r.messages!;
    const ids = render(msgs, false);
    let labels: number[] | null = null;
    if (opts.assistantOnlyLoss) {
      labels = new Array<number>(ids.length).fill(-100);
      for (let k = 0; k < msgs.length; k++) {
        if (msgs[k]!.role !== 'assistant') continue;
        const start = render(msgs.slice(0, k), true).length;
        const end = render(msgs.slice(0, k + 1), false).length;
        for (let t = start; t < Math.min(end, ids.length); t++) labels[t] = ids[t]!;
      }
      if (labels.every((v) => v === -100)) {
        if (msgs.some((m) => m.role === 'assistant')) throw dataError(r.file, r.line, 'the chat template output does not extend message by message, so assistant tokens cannot be located');
        continue; // no assistant turn: nothing to learn
      }
    }
    const L = opts.maxLength;
    out.push({ ids: i32(ids.slice(0, L)), typeIds: null, label: -1, lmLabels: labels ? i32(labels.slice(0, L)) : null, wordStarts: null });
  }
  return out;
}
