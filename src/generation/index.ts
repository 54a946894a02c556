// Text generation over any CausalLM (src/nn/causal-lm.ts): logits processors, samplers, stopping, generate(), generateText().
export {
  type LogitsProcessor, type ProcessorContext, type ProcessorOptions, composeProcessors, buildProcessors,
  repetitionPenalty, presenceFrequencyPenalty, logitBias, temperature, topK, topP, minP,
} from './processors.js';
export { argmax, sample, logSumExp, topLogprobs, type TokenLogprob } from './sampling.js';
export { StopStringMatcher, normalizeStops, stopTokenSet, MAX_STOP_STRINGS } from './stopping.js';
export { type TokenDecoder, type TokenEncoder, type StreamDecoderLike, decodeStream } from './text.js';
export {
  generate, generateIds, DEFAULT_MAX_TOKENS,
  type GenerateOptions, type GenerationEvent, type TokenEvent, type FinishEvent, type GenerationResult, type FinishReason,
} from './generate.js';
export { generateText, type TextGenerationOutput } from './text-generation.js';
