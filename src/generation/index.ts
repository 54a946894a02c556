// Text generation over any CausalLM: KV cache, logits processors, samplers, stopping, generate(), generateText().
export { type CausalLM, type CausalLMForwardOptions, type TraceHook, eosList } from './causal-lm.js';
export { KVCache, type KVCacheOptions } from './kv-cache.js';
export { attend, causalMask, MASK_MIN } from './attention.js';
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
