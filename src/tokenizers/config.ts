// Reads tokenizer_config.json + special_tokens_map.json into typed settings (special tokens, lengths,
// sides, chat template). Values may be plain strings or HF's `{content: ...}` AddedToken objects.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { readOptionalJsonObject, readTextFile } from './files.js';
import { SPECIAL_TOKEN_KEYS, type Side, type SpecialTokens } from './types.js';

/** HF uses int(1e30) (and 1e12-ish values in old configs) to mean "no limit". */
const MAX_LENGTH_SENTINEL = 1e15;

export interface TokenizerSettings {
  specialTokens: SpecialTokens;
  additionalSpecialTokens: string[];
  /** null when unset or a huge sentinel value. */
  modelMaxLength: number | null;
  paddingSide: Side;
  truncationSide: Side;
  /** The default chat template, or null. */
  chatTemplate: string | null;
  /** Named templates when `chat_template` is a list of {name, template}. */
  chatTemplates: Record<string, string>;
  cleanUpTokenizationSpaces: boolean | null;
  /** The merged raw config (tokenizer_config.json over special_tokens_map.json). */
  raw: Record<string, unknown>;
}

/** The text of a special-token value: `"[CLS]"` or `{content: "[CLS]", ...}`; undefined otherwise. */
export function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

function parseChatTemplate(v: unknown, file: string): { main: string | null; named: Record<string, string> } {
  if (v === undefined || v === null) return { main: null, named: {} };
  if (typeof v === 'string') return { main: v, named: {} };
  const named: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const o = item as { name?: unknown; template?: unknown };
      if (typeof o?.name !== 'string' || typeof o?.template !== 'string') {
        throw new BertchatError('TOKENIZER', `${file}: chat_template list entries must be {name, template} strings`);
      }
      named[o.name] = o.template;
    }
  } else if (typeof v === 'object') {
    for (const [k, t] of Object.entries(v as Record<string, unknown>)) if (typeof t === 'string') named[k] = t;
  } else {
    throw new BertchatError('TOKENIZER', `${file}: chat_template must be a string or a list of {name, template}`);
  }
  return { main: named['default'] ?? null, named };
}

/**
 * Parses a merged tokenizer config object (HF field names) into settings.
 * @example parseTokenizerSettings({ pad_token: { content: '[PAD]' }, model_max_length: 512 }).specialTokens.pad_token // '[PAD]'
 */
export function parseTokenizerSettings(raw: Record<string, unknown>, file = 'tokenizer_config.json'): TokenizerSettings {
  const specialTokens: SpecialTokens = {};
  for (const k of SPECIAL_TOKEN_KEYS) {
    const c = tokenContent(raw[k]);
    if (c !== undefined) specialTokens[k] = c;
  }
  const add = raw['additional_special_tokens'];
  const additionalSpecialTokens = Array.isArray(add)
    ? add.map(tokenContent).filter((x): x is string => x !== undefined)
    : [];
  const mml = raw['model_max_length'];
  const modelMaxLength = typeof mml === 'number' && Number.isFinite(mml) && mml > 0 && mml < MAX_LENGTH_SENTINEL ? mml : null;
  const side = (v: unknown, name: string): Side => {
    if (v === undefined || v === null) return 'right';
    if (v === 'left' || v === 'right') return v;
    throw new BertchatError('TOKENIZER', `${file}: ${name} must be "left" or "right", got ${JSON.stringify(v)}`);
  };
  const ct = parseChatTemplate(raw['chat_template'], file);
  const cu = raw['clean_up_tokenization_spaces'];
  return {
    specialTokens,
    additionalSpecialTokens,
    modelMaxLength,
    paddingSide: side(raw['padding_side'], 'padding_side'),
    truncationSide: side(raw['truncation_side'], 'truncation_side'),
    chatTemplate: ct.main,
    chatTemplates: ct.named,
    cleanUpTokenizationSpaces: typeof cu === 'boolean' ? cu : null,
    raw,
  };
}

/**
 * Reads tokenizer_config.json and special_tokens_map.json from a folder (both optional) and merges them;
 * tokenizer_config.json wins where both set a field. A separate chat_template.jinja/.json file is also read.
 * @example const s = readTokenizerSettings('/models/bert'); s.specialTokens.cls_token // '[CLS]'
 */
export function readTokenizerSettings(dir: string): TokenizerSettings {
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = readOptionalJsonObject(cfgPath) ?? {};
  const stm = readOptionalJsonObject(join(dir, 'special_tokens_map.json')) ?? {};
  const raw: Record<string, unknown> = { ...stm, ...cfg };
  for (const k of SPECIAL_TOKEN_KEYS) if (raw[k] === undefined || raw[k] === null) if (stm[k] !== undefined) raw[k] = stm[k];
  if (raw['chat_template'] === undefined) {
    const ctj = readOptionalJsonObject(join(dir, 'chat_template.json'));
    if (ctj && ctj['chat_template'] !== undefined) raw['chat_template'] = ctj['chat_template'];
    const jinja = join(dir, 'chat_template.jinja');
    if (raw['chat_template'] === undefined && existsSync(jinja)) raw['chat_template'] = readTextFile(jinja, 'chat template');
  }
  return parseTokenizerSettings(raw, cfgPath);
}

/**
 * HF `model_input_names`: the config's list when present, else `fallback` (DistilBERT never uses token_type_ids).
 * @example modelInputNames({ tokenizer_class: 'DistilBertTokenizer' }, true) // ['input_ids', 'attention_mask']
 */
export function modelInputNames(raw: Record<string, unknown>, usesTokenTypes: boolean): string[] {
  const v = raw['model_input_names'];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  const cls = typeof raw['tokenizer_class'] === 'string' ? raw['tokenizer_class'] : '';
  if (usesTokenTypes && !/distilbert/i.test(cls)) return ['input_ids', 'token_type_ids', 'attention_mask'];
  return ['input_ids', 'attention_mask'];
}
