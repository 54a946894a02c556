// bertchat's public API. Everything a user imports comes from here.
export { BertchatError, isBertchatError } from './util/errors.js';
export type { ErrorCode } from './util/errors.js';
export { setLogLevel, setLogSink } from './util/logging.js';
export { Rng } from './util/rng.js';
