// Writes a tokenizer back as an HF folder: tokenizer.json (WordPiece/byte-level BPE/loaded JSON), the legacy
// files (vocab.txt or vocab.json + merges.txt, tokenizer.bin), tokenizer_config.json, special_tokens_map.json.
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { GPT2Tokenizer } from './bpe.js';
import { atomicWriteFile } from './files.js';
import { JsonTokenizer } from './hf-json.js';
import { Llama2cTokenizer } from './llama2c.js';
import type { Tokenizer } from './tokenizer.js';
import { byteLevelBpeTokenizerJson, wordPieceTokenizerJson } from './tokenizer-json.js';
import { SPECIAL_TOKEN_KEYS } from './types.js';
import { BertTokenizer } from './wordpiece.js';

export interface SaveTokenizerOptions {
  /** Write tokenizer.json (default true where the model type supports it). */
  tokenizerJson?: boolean;
  /** Write vocab.txt / vocab.json + merges.txt / tokenizer.bin (default true). */
  legacy?: boolean;
}

const json = (o: unknown): string => `${JSON.stringify(o, null, 2)}\n`;

function tokenizerConfig(tok: Tokenizer): Record<string, unknown> {
  const s = tok.settings;
  const cfg: Record<string, unknown> = { ...s.raw };
  for (const k of SPECIAL_TOKEN_KEYS) {
    delete cfg[k];
    const v = s.specialTokens[k];
    if (v !== undefined) cfg[k] = v;
  }
  if (s.additionalSpecialTokens.length) cfg['additional_special_tokens'] = s.additionalSpecialTokens;
  if (s.modelMaxLength !== null) cfg['model_max_length'] = s.modelMaxLength;
  cfg['padding_side'] = s.paddingSide;
  cfg['truncation_side'] = s.truncationSide;
  if (s.chatTemplate !== null && cfg['chat_template'] === undefined) cfg['chat_template'] = s.chatTemplate;
  if (tok instanceof BertTokenizer) {
    cfg['tokenizer_class'] ??= 'BertTokenizer';
    cfg['do_lower_case'] = tok.basic.doLowerCase;
    cfg['do_basic_tokenize'] = tok.doBasicTokenize;
    cfg['tokenize_chinese_chars'] = tok.basic.tokenizeChineseChars;
    cfg['strip_accents'] = tok.basic.stripAccents;
    cfg['clean_up_tokenization_spaces'] = s.cleanUpTokenizationSpaces ?? true;
  } else if (tok instanceof GPT2Tokenizer) {
    cfg['tokenizer_class'] ??= 'GPT2Tokenizer';
    cfg['add_prefix_space'] = tok.addPrefixSpace;
    cfg['add_bos_token'] = tok.addBosToken;
    cfg['clean_up_tokenization_spaces'] = s.cleanUpTokenizationSpaces ?? false;
  }
  return cfg;
}

/**
 * Saves `tok` into `dir` in HF layout (atomic writes); returns the file names written.
 * @example saveTokenizer(tok, '/tmp/my-tokenizer') // ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']
 */
export function saveTokenizer(tok: Tokenizer, dir: string, opts: SaveTokenizerOptions = {}): string[] {
  const written: string[] = [];
  const put = (name: string, data: string | Uint8Array): void => {
    atomicWriteFile(join(dir, name), data);
    written.push(name);
  };
  const wantJson = opts.tokenizerJson ?? true;
  const wantLegacy = opts.legacy ?? true;
  if (tok instanceof BertTokenizer) {
    if (wantJson) put('tokenizer.json', json(wordPieceTokenizerJson(tok)));
    if (wantLegacy) put('vocab.txt', tok.vocab.list().slice(0, tok.vocab.size - tok.addedTokens.size).map((t) => t ?? '').join('\n') + '\n');
    if (wantLegacy && tok.addedTokens.size) put('added_tokens.json', json(Object.fromEntries(tok.addedTokens)));
  } else if (tok instanceof GPT2Tokenizer) {
    if (wantJson) put('tokenizer.json', json(byteLevelBpeTokenizerJson(tok)));
    if (wantLegacy) {
      const base = tok.vocab.toObject();
      for (const t of tok.addedTokens.keys()) delete base[t];
      put('vocab.json', JSON.stringify(base) + '\n');
      put('merges.txt', '#version: 0.2\n' + tok.model.merges.map(([a, b]) => `${a} ${b}\n`).join(''));
      if (tok.addedTokens.size) put('added_tokens.json', json(Object.fromEntries(tok.addedTokens)));
    }
  } else if (tok instanceof JsonTokenizer) {
    put('tokenizer.json', json(tok.json));
  } else if (tok instanceof Llama2cTokenizer) {
    put('tokenizer.bin', tok.toBuffer());
  } else {
    throw new BertchatError('INVALID_ARGUMENT', `saveTokenizer: unsupported tokenizer kind ${tok.kind}`);
  }
  put('tokenizer_config.json', json(tokenizerConfig(tok)));
  const stm: Record<string, unknown> = { ...tok.settings.specialTokens };
  if (tok.settings.additionalSpecialTokens.length) stm['additional_special_tokens'] = tok.settings.additionalSpecialTokens;
  put('special_tokens_map.json', json(stm));
  return written;
}
