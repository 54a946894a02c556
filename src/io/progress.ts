// A tiny download progress bar on stderr, drawn only when stderr is a TTY (never in logs or pipes).

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export interface ProgressSink {
  update(done: number): void;
  finish(): void;
}

const NOOP: ProgressSink = { update() {}, finish() {} };

/**
 * A progress bar for one file, or a no-op when disabled or stderr is not a terminal.
 *
 * @example
 * const bar = progressBar('model.safetensors', total, true); bar.update(bytes); bar.finish();
 */
export function progressBar(label: string, total: number | null, enabled: boolean): ProgressSink {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return NOOP;
  const start = Date.now();
  let last = 0;
  let current = 0;
  const draw = (final: boolean): void => {
    const now = Date.now();
    if (!final && now - last < 100) return;
    last = now;
    const secs = Math.max((now - start) / 1000, 1e-3);
    const rate = `${fmtBytes(Math.round(current / secs))}/s`;
    const width = 24;
    let bar = '';
    if (total !== null && total > 0) {
      const frac = Math.min(current / total, 1);
      const filled = Math.round(frac * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% `;
    }
    const size = total !== null ? `${fmtBytes(current)} / ${fmtBytes(total)}` : fmtBytes(current);
    const name = label.length > 30 ? `...${label.slice(-27)}` : label;
    stream.write(`\r\x1b[2K${name} ${bar}${size} ${rate}${final ? '\n' : ''}`);
  };
  return {
    update(done: number) {
      current = done;
      draw(false);
    },
    finish() {
      draw(true);
    },
  };
}
