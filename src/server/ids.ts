// Response ids and timestamps in OpenAI's formats (`cmpl-…`, `chatcmpl-…`, unix seconds).
import { randomBytes } from 'node:crypto';

export const newId = (prefix: 'cmpl' | 'chatcmpl'): string => `${prefix}-${randomBytes(12).toString('base64url')}`;
export const unixNow = (): number => Math.floor(Date.now() / 1000);
/** Stable per server version and engine; changes when the way tokens are produced changes. */
export const SYSTEM_FINGERPRINT = 'fp_bertchat_0_1_interim';
