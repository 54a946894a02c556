// Neural-network building blocks on the tensor engine.
export { Module, parameter, isParameter, type LoadOptions, type LoadReport } from './module.js';
export { Linear, Embedding, LayerNorm, RMSNorm, Dropout, withoutInit } from './layers.js';
export { KVCache, type KVCacheOptions } from './kv-cache.js';
export { attend, causalMask } from './attention.js';
export { type CausalLM, type CausalLMForwardOptions, eosList } from './causal-lm.js';
