// AutoTokenizer.from_pretrained for a local folder: tokenizer.json if present, else vocab.txt (BERT/DistilBERT),
// else vocab.json + merges.txt (GPT-2 BPE), else llama2.c tokenizer.bin; settings from tokenizer_config.json.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { GPT2Tokenizer } from './bpe.js';
import { readTokenizerSettings } from './config.js';
import { JsonTokenizer } from './hf-json.js';
import { Llama2cTokenizer } from './llama2c.js';
import type { Tokenizer } from './tokenizer.js';
import { BertTokenizer } from './wordpiece.js';

export interface LoadTokenizerOptions {
  /** Prefer vocab.txt / vocab.json + merges.txt over tokenizer.json (HF `use_fast=False`). */
  legacy?: boolean;
}

/**
 * Loads the tokenizer of a model folder (or a llama2.c tokenizer.bin path).
 * @example const tok = loadTokenizer('/models/bert-base-uncased'); tok.encode('hello').inputIds // [101, 7592, 102]
 */
export function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): Tokenizer {
  if (!existsSync(dir)) throw new BertchatError('NOT_FOUND', `tokenizer folder not found: ${dir}`, { file: dir });
  if (statSync(dir).isFile()) {
    if (dir.endsWith('.bin')) return Llama2cTokenizer.fromFile(dir);
    if (basename(dir) === 'tokenizer.json') return JsonTokenizer.fromFile(dir, readTokenizerSettings(dirname(dir)));
    throw new BertchatError('TOKENIZER', `${dir}: expected a folder, tokenizer.json or a llama2.c tokenizer.bin`, { file: dir });
  }
  const has = (f: string): boolean => existsSync(join(dir, f));
  const settings = readTokenizerSettings(dir);
  const legacyAvailable = has('vocab.txt') || has('vocab.json');
  if (has('tokenizer.json') && !(opts.legacy && legacyAvailable)) {
    log.debug(`loading ${join(dir, 'tokenizer.json')} with @huggingface/tokenizers`);
    return JsonTokenizer.fromFile(join(dir, 'tokenizer.json'), settings);
  }
  if (has('vocab.txt')) return BertTokenizer.fromVocabFile(join(dir, 'vocab.txt'), settings);
  if (has('vocab.json')) {
    if (!has('merges.txt')) throw new BertchatError('NOT_FOUND', `merges.txt not found next to ${join(dir, 'vocab.json')}`, { file: join(dir, 'merges.txt') });
    return GPT2Tokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'), settings);
  }
  if (has('tokenizer.bin')) return Llama2cTokenizer.fromFile(join(dir, 'tokenizer.bin'));
  throw new BertchatError(
    'NOT_FOUND',
    `no tokenizer files in ${dir}: looked for tokenizer.json, vocab.txt, vocab.json + merges.txt, tokenizer.bin`,
    { file: dir },
  );
}
