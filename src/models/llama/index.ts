// Llama family (llama, qwen2, mistral): config, model (CausalLM), RoPE scaling, checkpoint and llama2.c loading.
export { type LlamaConfig, type LlamaFamily, parseLlamaConfig, attentionBiases, LLAMA_MODEL_TYPES } from './config.js';
export { LlamaForCausalLM, LlamaModel, LlamaDecoderLayer, LlamaAttention, LlamaMLP } from './modeling.js';
export { ropeInvFreq } from './rope.js';
export { loadLlama, loadLlamaWeights, LLAMA_IGNORED_KEYS } from './load.js';
export { readLlama2c, readLlama2cHeader, llama2cConfig, llama2cFloatCount, permuteRopeRows, type Llama2cHeader } from './llama2c.js';
