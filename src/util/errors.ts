// The one error type bertchat throws on purpose. `code` is stable and machine-readable;
// the message names what failed and where (op and shapes, file and tensor, flag, field).

export type ErrorCode =
  | 'SHAPE_MISMATCH' // tensor shapes that do not fit an op
  | 'DTYPE' // wrong element type for an op
  | 'INDEX_OUT_OF_RANGE' // an index or id outside its range
  | 'INVALID_ARGUMENT' // any other bad argument to a function
  | 'SAFETENSORS' // malformed or inconsistent safetensors file
  | 'CHECKPOINT' // weights that do not match a model (missing, unexpected, mis-shaped)
  | 'CONFIG' // invalid config.json or training config
  | 'TOKENIZER' // tokenizer files or inputs
  | 'NOT_FOUND' // a model, file or resource that does not exist
  | 'NETWORK' // hub download failures and offline mode
  | 'DATA' // training data that cannot be used
  | 'CONTEXT_LENGTH' // a request longer than the model's context
  | 'BACKEND' // a back end that is unavailable or failed
  | 'CANCELLED' // work cancelled by its caller
  | 'IO'; // other file-system failures

export class BertchatError extends Error {
  readonly code: ErrorCode;
  /** Optional structured details (file, tensor name, line, ...) for programmatic use. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BertchatError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** Throws a BertchatError with `code` when `cond` is false. */
export function check(cond: unknown, code: ErrorCode, message: string | (() => string)): asserts cond {
  if (!cond) throw new BertchatError(code, typeof message === 'function' ? message() : message);
}

/** True when `err` is a BertchatError (optionally with the given code). */
export function isBertchatError(err: unknown, code?: ErrorCode): err is BertchatError {
  return err instanceof BertchatError && (code === undefined || err.code === code);
}
