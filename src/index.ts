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
