// Architecture guard: imports only go downward through the layers of ../shared/ARCHITECTURE.md,
// plus the explicit rules (tokenizers never import tensor/, generation never imports a model family).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/shared.js';

const LAYER: Record<string, number> = {
  util: 0,
  tensor: 1,
  nn: 2, optim: 2, io: 2, tokenizers: 2,
  models: 3, generation: 3, train: 3,
  pipelines: 4,
  server: 5, cli: 5, chat: 5,
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** "tensor", "models/gpt2", ... for a path under src/. */
function area(file: string): string[] {
  return relative(join(repoRoot, 'src'), file).split('/').slice(0, -1);
}

test('imports only go downward through the layers', () => {
  const src = join(repoRoot, 'src');
  const problems: string[] = [];
  const files = walk(src);
  assert.ok(files.length > 50, `found only ${files.length} source files under ${src}`);
  for (const file of files) {
    const from = area(file);
    if (from.length === 0) continue; // src/index.ts re-exports everything
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1]!);
      const to = area(target.replace(/\.js$/, '.ts'));
      if (to.length === 0) continue;
      const [fa, ta] = [from[0]!, to[0]!];
      const where = `${relative(repoRoot, file)} imports ${m[1]}`;
      if (!(fa in LAYER) || !(ta in LAYER)) problems.push(`${where}: unknown layer folder`);
      else if (LAYER[ta]! > LAYER[fa]!) problems.push(`${where}: ${fa} (L${LAYER[fa]}) must not import ${ta} (L${LAYER[ta]})`);
      if (fa === 'tokenizers' && ta === 'tensor') problems.push(`${where}: tokenizers never import tensor/`);
      if (fa === 'generation' && ta === 'models' && to.length > 1) problems.push(`${where}: generation never imports a model family`);
      if (fa === 'models' && (ta === 'generation' || ta === 'train')) problems.push(`${where}: models never import ${ta}/`);
      if (fa === 'models' && ta === 'models' && from[1] && to[1] && from[1] !== to[1] && !/^(bert)$/.test(to[1])) {
        problems.push(`${where}: model families are independent`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
