// `npm run bench`: every benchmark, one JSON object per line on stdout. Timings are medians or
// best-of-N after warm-up; run on an otherwise idle machine. BENCH=name1,name2 selects some.
// Back ends: each bench runs on the native back end where it is built, and on js where noted.
import { availableBackends, setBackend } from '../src/tensor/index.js';

type Bench = { name: string; module: string; fn: string; backends: 'all' | 'current' };

const BENCHES: Bench[] = [
  { name: 'matmul', module: './matmul.js', fn: 'benchMatmul', backends: 'current' }, // covers both back ends itself
  { name: 'bert', module: './bert.js', fn: 'benchBertForward', backends: 'all' },
  { name: 'bert-plain', module: './bert.js', fn: 'benchBertForwardPlain', backends: 'current' },
  { name: 'train', module: './train.js', fn: 'benchTrain', backends: 'current' },
  { name: 'decode', module: './decode.js', fn: 'benchDecode', backends: 'current' },
  { name: 'io', module: './io.js', fn: 'benchIo', backends: 'current' },
];

async function main(): Promise<void> {
  const only = process.env.BENCH ? new Set(process.env.BENCH.split(',')) : null;
  const backends = availableBackends();
  const fast = backends[backends.length - 1]!; // native when built
  for (const b of BENCHES) {
    if (only && !only.has(b.name)) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(b.module)) as Record<string, unknown>;
    } catch (e) {
      console.log(JSON.stringify({ bench: b.name, skipped: `module ${b.module} not available: ${(e as Error).message}` }));
      continue;
    }
    const fn = mod[b.fn] as (() => Promise<object[]>) | undefined;
    if (!fn) {
      console.log(JSON.stringify({ bench: b.name, skipped: `${b.fn} not exported` }));
      continue;
    }
    for (const be of b.backends === 'all' ? [fast, ...backends.filter((x) => x !== fast)] : [fast]) {
      setBackend(be);
      try {
        for (const rec of await fn()) console.log(JSON.stringify(rec));
      } catch (e) {
        console.log(JSON.stringify({ bench: b.name, backend: be.name, error: (e as Error).message }));
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
