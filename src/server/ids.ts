// Response ids, timestamps and the system fingerprint in OpenAI's formats (`cmpl-…`, `chatcmpl-…`, unix seconds).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const newId = (prefix: 'cmpl' | 'chatcmpl'): string => `${prefix}-${randomBytes(12).toString('base64url')}`;
export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** package.json's version (dist/src/server/ids.js → ../../../package.json). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Stable per bertchat version: `fp_bertchat_` + the package version with non-alphanumerics as `_` (0.1.0 →
 * `fp_bertchat_0_1_0`). Tokens come from src/generation's generate(), which is part of the version.
 */
export const SYSTEM_FINGERPRINT = `fp_bertchat_${packageVersion().replace(/[^0-9A-Za-z]+/g, '_')}`;
