// GPT-2: config, model (CausalLM), checkpoint loading.
export { type GPT2Config, parseGPT2Config, gpt2InnerSize } from './config.js';
export { GPT2LMHeadModel, GPT2Model, GPT2Block, GPT2Attention, GPT2MLP, Conv1D, CONV1D_WEIGHTS } from './modeling.js';
export { loadGPT2, loadGPT2Weights, gpt2StateDict, GPT2_IGNORED_KEYS } from './load.js';
