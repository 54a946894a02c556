// Safetensors I/O benchmark: writes a ~500 MB F32 file in a temp folder, then loads it in fresh child
// processes and reports load time and peak RSS growth (maxRSS) — loading should cost one copy, not two.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSafetensors } from '../src/io/safetensors-write.js';

interface ChildResult {
  ms: number;
  baselineKb: number;
  peakKb: number;
  checksum: number;
}

/**
 * Loads `path` in a fresh node process and reports its peak RSS. On Linux the peak is VmHWM from
 * /proc/self/status: getrusage's maxRSS survives exec, so a child would report its parent's peak.
 */
function loadInChild(path: string): ChildResult {
  const mod = new URL('../src/io/safetensors.js', import.meta.url).href;
  const script = `
    import { readFileSync } from 'node:fs';
    const { readSafetensors } = await import(${JSON.stringify(mod)});
    const hwmKb = () => {
      try {
        const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
        if (m) return Number(m[1]);
      } catch {}
      return process.resourceUsage().maxRSS;
    };
    const baselineKb = hwmKb();
    const t0 = performance.now();
    const st = readSafetensors(${JSON.stringify(path)});
    const ms = performance.now() - t0;
    let checksum = 0;
    for (const [, t] of st.tensors) checksum += Number(t.data[t.data.length - 1]);
    console.log(JSON.stringify({ ms, baselineKb, peakKb: hwmKb(), checksum }));
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) throw new Error(`bench child failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim()) as ChildResult;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs the safetensors benchmarks and returns JSON-able results.
 *
 * @example
 * const results = await benchIo(); // [{ bench: 'safetensors_write', ... }, { bench: 'safetensors_load', mb: 500, ms, peak_rss_mb, copies }]
 */
export async function benchIo(opts: { mb?: number; runs?: number } = {}): Promise<object[]> {
  const mb = opts.mb ?? 500;
  const runs = opts.runs ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-bench-io-'));
  try {
    const path = join(dir, 'model.safetensors');
    const nTensors = 10;
    const per = Math.floor((mb * 1e6) / 4 / nTensors);
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (let i = 0; i < nTensors; i++) {
      const data = new Float32Array(per);
      for (let j = 0; j < per; j++) data[j] = (j % 1000) * 0.001 + i;
      tensors.set(`layers.${i}.weight`, { shape: [per], data });
    }
    const t0 = performance.now();
    writeSafetensors(path, tensors);
    const writeMs = performance.now() - t0;
    tensors.clear();
    const fileMb = statSync(path).size / 1e6;
    const results = Array.from({ length: runs }, () => loadInChild(path));
    const peak = median(results.map((r) => (r.peakKb - r.baselineKb) / 1024));
    return [
      { bench: 'safetensors_write', mb: Math.round(fileMb), ms: Math.round(writeMs), mb_per_s: Math.round(fileMb / (writeMs / 1000)) },
      {
        bench: 'safetensors_load',
        mb: Math.round(fileMb),
        ms: Math.round(median(results.map((r) => r.ms))),
        ms_runs: results.map((r) => Math.round(r.ms)),
        baseline_rss_mb: Math.round(median(results.map((r) => r.baselineKb / 1024))),
        peak_rss_mb: Math.round(peak),
        copies: Number((peak / (fileMb * 1e6 / 2 ** 20)).toFixed(2)),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchIo().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
