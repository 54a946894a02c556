// Locates ../shared (golden references and real data) for tests. Tests that need a file from it
// skip with a message naming the missing file, so a checkout without shared/ still runs the rest.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

const here = new URL('.', import.meta.url).pathname; // dist/test/helpers/
export const repoRoot = resolve(here, '..', '..', '..');
export const sharedRoot = process.env.BERTCHAT_SHARED ?? resolve(repoRoot, '..', 'shared');

/** Absolute path of a file under ../shared. */
export function sharedPath(...parts: string[]): string {
  return join(sharedRoot, ...parts);
}

/**
 * Returns the absolute path when the file exists; otherwise marks the test skipped
 * (naming the file) and returns null. Usage: `const p = needShared(t, 'golden/gpt2-tiny-random'); if (!p) return;`
 */
export function needShared(t: TestContext, ...parts: string[]): string | null {
  const p = sharedPath(...parts);
  if (existsSync(p)) return p;
  t.skip(`missing shared file: ${p}`);
  return null;
}
