// Small tokenizers built in memory for the unit tests (no shared files needed).
import { BertTokenizer } from '../../../src/tokenizers/wordpiece.js';
import { GPT2Tokenizer } from '../../../src/tokenizers/bpe.js';
import { BYTE_TO_UNICODE } from '../../../src/tokenizers/byte-level.js';
import { parseTokenizerSettings } from '../../../src/tokenizers/config.js';
import { Vocab } from '../../../src/tokenizers/vocab.js';

export const BERT_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'hello', 'world', 'the', 'cat', 'sat', 'on', 'mat', 'a', 'b', 'c', 'play', '##ing', '##s', 'don', "'", 't', '.', ',', '!',
  'un', '##aff', '##able', 'new', '##er', 'x', 'y', 'z', '你', '好',
];

/** A BERT tokenizer; `config` adds tokenizer_config.json fields. */
export function smallBert(config: Record<string, unknown> = {}): BertTokenizer {
  return new BertTokenizer(BERT_VOCAB.slice(), parseTokenizerSettings({ do_lower_case: true, ...config }));
}

/** A byte-level BPE with the 256 byte symbols (GPT-2 order), a few merges and <|endoftext|>. */
export function smallGpt2(config: Record<string, unknown> = {}): GPT2Tokenizer {
  const symbols = BYTE_TO_UNICODE.slice().sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const merges: Array<[string, string]> = [['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['l', 'd'], ['Ġwor', 'ld'], ['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o']];
  const vocab = Vocab.fromList([...symbols, ...merges.map(([a, b]) => a + b), '<|endoftext|>']);
  const eot = '<|endoftext|>';
  return new GPT2Tokenizer(vocab, merges, parseTokenizerSettings({ bos_token: eot, eos_token: eot, unk_token: eot, ...config }));
}
