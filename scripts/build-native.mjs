#!/usr/bin/env node
// Builds the optional native CPU back end (node-gyp, binding.gyp at the package root).
// Never fails the install: without a compiler bertchat falls back to the TypeScript back end,
// and says so once at run time. BERTCHAT_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
if (process.env.BERTCHAT_SKIP_NATIVE === '1') {
  console.log('bertchat: BERTCHAT_SKIP_NATIVE=1, not building the native back end');
  process.exit(0);
}
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);

// Up to date? (npx and repeated builds would otherwise recompile for a minute)
const addon = join(root, 'build', 'Release', 'bertchat_native.node');
if (existsSync(addon) && process.env.BERTCHAT_REBUILD_NATIVE !== '1') {
  const sources = [join(root, 'binding.gyp'), ...readdirSync(join(root, 'native')).map((f) => join(root, 'native', f))];
  const built = statSync(addon).mtimeMs;
  if (sources.every((f) => statSync(f).mtimeMs <= built)) {
    console.log('bertchat: native back end is up to date');
    process.exit(0);
  }
}

// npm exposes its bundled node-gyp to scripts; fall back to one on PATH.
const candidates = [];
if (process.env.npm_config_node_gyp) candidates.push([process.execPath, [process.env.npm_config_node_gyp]]);
candidates.push(['node-gyp', []]);
const npmDir = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (existsSync(npmDir)) candidates.push([process.execPath, [npmDir]]);

for (const [cmd, pre] of candidates) {
  const res = spawnSync(cmd, [...pre, 'rebuild', '--release'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.error && res.error.code === 'ENOENT') continue;
  if (res.status === 0) {
    console.log('bertchat: native back end built (build/Release/bertchat_native.node)');
    process.exit(0);
  }
  const tail = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.log(`bertchat: native back end build failed; the TypeScript back end will be used.\n${tail}`);
  process.exit(0);
}
console.log('bertchat: node-gyp not found; the native back end was not built and the TypeScript back end will be used.');
