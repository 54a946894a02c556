// bertchat's public API. Everything a user imports comes from here.
export { BertchatError, isBertchatError } from './util/errors.js';
export type { ErrorCode } from './util/errors.js';
export { setLogLevel, setLogSink } from './util/logging.js';
export { Rng } from './util/rng.js';

// Tensor engine, nn, optimisers
export * from './tensor/index.js';
export * from './nn/index.js';
export * from './optim/index.js';

// Tokenizers
export * from './tokenizers/index.js';

// Checkpoints, configs, hub
export * from './io/index.js';

// Server and chat
export { startServer, bundledModelSpecs, DEFAULT_HOST, DEFAULT_PORT } from './server/serve.js';
export type { ServeOptions, RunningServer } from './server/serve.js';
export { buildApp } from './server/app.js';
export type { AppOptions } from './server/app.js';
export { LocalEngine } from './server/local-engine.js';
export type { Engine, ModelSpec, ModelInfo, GenerateRequest, GenerateEvent } from './server/engine.js';
export { ConversationStore } from './chat/store.js';
export { Dialogue, engineBackend } from './chat/dialogue.js';
export type { ChatBackend } from './chat/dialogue.js';
export { trackState, trackTurn } from './chat/state-tracker.js';
export type { DialogueState } from './chat/state-tracker.js';

// Models, generation
export * from './generation/index.js';
export { GPT2LMHeadModel, loadGPT2, loadGPT2Weights, GPT2_IGNORED_KEYS } from './models/gpt2/index.js';
export { LlamaForCausalLM, loadLlama, loadLlamaWeights, LLAMA_IGNORED_KEYS, readLlama2c, ropeInvFreq } from './models/llama/index.js';

// Encoders: loading, auto classes, BERT, DistilBERT, pipelines
export { PreTrainedModel, saveModel, loadCheckpoint, legacyKeyRename, type FromPretrainedOptions } from './models/loading.js';
export { AutoModel, AutoModelForSequenceClassification, AutoModelForMaskedLM, AutoModelForTokenClassification, AutoModelForCausalLM, AutoConfig, AutoTokenizer, loadArchitectureFromDir, loadForTaskFromDir, type EncoderInputs, type EncoderModel, type EncoderWithHead } from './models/auto.js';
export { MODEL_FAMILIES, familyOf, architectureForTask, findArchitecture, type ModelTask, type FamilyEntry, type ArchitectureEntry } from './models/registry.js';
export { BertModel, BertSelfAttention, type BertInputs } from './models/bert/modeling.js';
export { BertForSequenceClassification, BertForMaskedLM, BertForTokenClassification, BERT_MLM_IGNORED_KEYS, type ModelOutput } from './models/bert/heads.js';
export { bertConfig } from './models/bert/config.js';
export { DistilBertModel, sinusoidalPositions } from './models/distilbert/modeling.js';
export { DistilBertForSequenceClassification, DistilBertForMaskedLM, DistilBertForTokenClassification } from './models/distilbert/heads.js';
export { distilBertConfig } from './models/distilbert/config.js';
export * from './pipelines/index.js';
// argmax over a tensor or an array (generation's argmax is the Float32Array special case)
export { argmax } from './pipelines/index.js';
