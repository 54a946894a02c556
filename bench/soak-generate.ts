// Soak: 1,000 short generations in one process with the tiny golden GPT-2, sampling on, cache on; RSS at the
// start, middle and end. Per-request state (cache, rows, decoders) must be released: memory must not grow.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readConfig } from '../src/io/config.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { GPT2LMHeadModel } from '../src/models/gpt2/modeling.js';
import { loadGPT2Weights } from '../src/models/gpt2/load.js';
import type { GPT2Config } from '../src/models/gpt2/config.js';
import { generate } from '../src/generation/generate.js';
import { getBackend } from '../src/tensor/index.js';

export interface SoakResult {
  bench: 'soak-generate';
  backend: string;
  generations: number;
  tokens: number;
  seconds: number;
  rss_mb: { start: number; middle: number; end: number };
  /** end − middle: growth over the second half (the first half includes JIT and allocator warm-up). */
  growth_mb: number;
}

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

/**
 * Runs `generations` short generations (default 1000) and reports RSS; `dir` is the gpt2-tiny-random folder.
 * @example const r = await soakGenerate(); r.growth_mb // ≈ 0
 */
export async function soakGenerate(opts: { dir?: string; generations?: number } = {}): Promise<SoakResult> {
  const dir = opts.dir ?? join(process.env.BERTCHAT_SHARED ?? join(process.cwd(), '..', 'shared'), 'golden', 'gpt2-tiny-random');
  if (!existsSync(dir)) throw new Error(`soak: golden model folder not found: ${dir} (set BERTCHAT_SHARED)`);
  const N = opts.generations ?? 1000;
  const model = loadGPT2Weights(new GPT2LMHeadModel(readConfig(dir) as GPT2Config), readSafetensors(join(dir, 'model.safetensors')).tensors).eval().requiresGrad_(false);
  const decoder = { decode: (ids: number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('') };
  const gc = (globalThis as { gc?: () => void }).gc;
  const rss = () => {
    gc?.();
    return process.memoryUsage().rss;
  };
  const start = rss();
  let middle = start;
  let tokens = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const prompt = [51 + (i % 40), 258, 269, 265, 264 + (i % 7)];
    for await (const ev of generate(model, [prompt], { maxTokens: 16, temperature: 0.9, topP: 0.95, seed: i, n: 1 + (i % 2), decoder, stop: ['zz'] })) {
      if (ev.type === 'token') tokens++;
    }
    if (i === Math.floor(N / 2)) middle = rss();
  }
  const end = rss();
  return {
    bench: 'soak-generate', backend: getBackend().name, generations: N, tokens, seconds: Math.round((performance.now() - t0) / 100) / 10,
    rss_mb: { start: mb(start), middle: mb(middle), end: mb(end) }, growth_mb: mb(end - middle),
  };
}

// `node --expose-gc dist/bench/soak-generate.js` runs it directly.
if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${JSON.stringify(await soakGenerate())}\n`);
