// The io layer's public surface (checkpoints, configs, hub): what src/index.ts re-exports.
// Plain typed arrays and shapes only; turning them into tensors is the models layer's job.
export { writeFileAtomic, type AtomicData } from './atomic.js';
export { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16, type SafetensorsDtype, type TensorData } from './dtypes.js';
export { readSafetensors, parseSafetensorsBuffer, type SafetensorsFile, type SafetensorsTensor, type ReadSafetensorsOptions } from './safetensors.js';
export { writeSafetensors, serializeSafetensors, type TensorToWrite, type TensorsToWrite } from './safetensors-write.js';
export {
  loadModelWeights, readShardedSafetensors, saveModelWeights, parseShardIndex,
  SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, type ModelWeights, type ShardIndex, type SaveWeightsOptions,
} from './sharded.js';
export {
  parseConfig, readConfig, configToJSON, writeConfig, numLabels, gpt2InnerSize, attentionBiases, SUPPORTED_MODEL_TYPES,
  type ModelConfig, type BaseConfig, type BertConfig, type DistilBertConfig, type GPT2Config, type LlamaConfig, type LlamaFamily,
  type RopeScaling, type RopeType, type Activation, type ProblemType,
} from './config.js';
export { parseGenerationConfig, readGenerationConfig, type GenerationConfig } from './generation-config.js';
export { resolveModelDir, hfHubDownload, OPTIONAL_MODEL_FILES, type HubOptions, type ResolveOptions } from './hub.js';
export { hfCacheDir, validateRepoId } from './hub-cache.js';
