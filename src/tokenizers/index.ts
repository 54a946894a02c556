// The tokenizers layer's public surface (re-exported from src/index.ts): loading/saving HF tokenizer folders,
// the common Tokenizer interface, legacy formats, streaming decode, chat templates and training.
export { Tokenizer } from './tokenizer.js';
export type { TokenizerKind } from './tokenizer.js';
export type {
  EncodeOptions,
  Encoding,
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  TruncationStrategy,
  PaddingStrategy,
  Side,
  SpecialTokens,
  ChatMessage,
} from './types.js';
export { loadTokenizer } from './load.js';
export type { LoadTokenizerOptions } from './load.js';
export { saveTokenizer } from './save.js';
export type { SaveTokenizerOptions } from './save.js';
export { parseTokenizerSettings, readTokenizerSettings } from './config.js';
export type { TokenizerSettings } from './config.js';
export { BertTokenizer } from './wordpiece.js';
export { BasicTokenizer } from './bert-basic.js';
export { GPT2Tokenizer } from './bpe.js';
export { Llama2cTokenizer } from './llama2c.js';
export { JsonTokenizer } from './hf-json.js';
export { wordPieceTokenizerJson, byteLevelBpeTokenizerJson } from './tokenizer-json.js';
export { createStreamDecoder } from './stream-decoder.js';
export type { StreamDecoder, StreamDecoderOptions } from './stream-decoder.js';
export { applyChatTemplate, encodeChat } from './chat-template.js';
export type { ChatTemplateOptions } from './chat-template.js';
export { trainWordPiece } from './train-wordpiece.js';
export type { TrainWordPieceOptions } from './train-wordpiece.js';
export { trainByteLevelBpe } from './train-bpe.js';
export type { TrainBpeOptions } from './train-bpe.js';
