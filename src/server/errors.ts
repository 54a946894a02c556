// OpenAI-shaped errors: `{error: {message, type, param, code}}` with the right status. One HttpError type,
// a formatter for Fastify's schema (ajv) errors, and toHttpError() mapping anything thrown to a response.
import { BertchatError } from '../util/errors.js';
import type { ErrorBody, ErrorType } from './openai-types.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }
  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): HttpError => new HttpError(400, message, 'invalid_request_error', param, code);

export const modelNotFound = (model: string): HttpError =>
  new HttpError(404, `The model '${model}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model', 'model_not_found');

/** Minimal shape of an ajv error (what Fastify hands the schema error formatter). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
}

/** `/messages/0/role` → `messages[0].role`. */
export function paramName(instancePath: string, child?: unknown): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (typeof child === 'string') parts.push(child);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/** The first schema error as an OpenAI 400 naming the param. */
export function schemaError(errors: SchemaError[]): HttpError {
  const e = errors[0];
  if (!e) return badRequest('Invalid request body.');
  const path = paramName(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const p = paramName(e.instancePath, e.params['additionalProperty']);
      return badRequest(`Unrecognized request argument supplied: ${p}`, p, 'unknown_parameter');
    }
    case 'required': {
      const p = paramName(e.instancePath, e.params['missingProperty']);
      return badRequest(`Missing required parameter: '${p}'.`, p, 'missing_required_parameter');
    }
    case 'type': {
      if (path === '') return badRequest(`The request body must be a JSON object, got ${jsonType(e.data)}.`, null, 'invalid_type');
      const want = String(e.params['type']).split(',').filter((t) => t !== 'null').join(' or ');
      return badRequest(`Invalid type for '${path}': expected ${want}, but got ${jsonType(e.data)} instead.`, path, 'invalid_type');
    }
    case 'enum':
      return badRequest(`Invalid value for '${path}': expected one of ${(e.params['allowedValues'] as unknown[]).map((v) => `'${String(v)}'`).join(', ')}.`, path, 'invalid_value');
    case 'propertyNames':
      return badRequest(`Invalid '${path}': keys must be token ids (non-negative integers).`, path, 'invalid_value');
    default:
      return badRequest(`Invalid '${path || 'body'}': ${e.message ?? 'invalid value'}.`, path || null, 'invalid_value');
  }
}

/** Status and body for anything a route or Fastify threw. Unknown errors become a 500 without details. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof BertchatError) {
    const param = typeof err.details?.['param'] === 'string' ? (err.details['param'] as string) : null;
    switch (err.code) {
      case 'NOT_FOUND':
        return param === 'model' ? modelNotFound(String(err.message.match(/'([^']*)'/)?.[1] ?? '')) : new HttpError(404, err.message, 'invalid_request_error', param, 'not_found');
      case 'CONTEXT_LENGTH':
        return badRequest(err.message, param ?? 'messages', 'context_length_exceeded');
      case 'INVALID_ARGUMENT':
      case 'TOKENIZER':
      case 'INDEX_OUT_OF_RANGE':
        return badRequest(err.message, param, 'invalid_value');
      case 'CANCELLED':
        return new HttpError(499, 'The client closed the request.', 'invalid_request_error', null, 'cancelled');
      default:
        return new HttpError(500, `The server had an error while processing your request: ${err.message}`, 'server_error', null, null);
    }
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: SchemaError[] };
  if (e?.validation) return schemaError(e.validation);
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest('We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload.)', null, 'invalid_json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('The request body is empty; the API expects a JSON object.', null, 'invalid_json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'The request body is too large.', 'invalid_request_error', null, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'Unsupported Content-Type; send application/json.', 'invalid_request_error', null, 'unsupported_media_type');
  }
  if (e instanceof SyntaxError || (e?.statusCode === 400 && /JSON/i.test(e.message ?? ''))) {
    return badRequest('We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.', null, 'invalid_json');
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new HttpError(e.statusCode, e.message ?? 'Bad request.', 'invalid_request_error', null, e.code ?? null);
  }
  return new HttpError(500, 'The server had an error while processing your request.', 'server_error', null, null);
}
