// Renders trainer events for people: a one-line progress bar (loss, examples/s, tokens/s, ETA) redrawn in
// place on a TTY, or plain log lines otherwise. Writes to the stream it is given (the CLI's stderr).
import type { TrainEvent } from './trainer.js';

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function fmtRate(x: number): string {
  return x >= 10000 ? `${(x / 1000).toFixed(1)}k` : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function fmtRecord(r: Record<string, number | string>): string {
  return Object.entries(r)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? +v.toPrecision(5) : v}`)
    .join(' ');
}

/**
 * An event handler that draws training progress on `out`.
 * @example await train(cfg, { onEvent: progressPrinter(process.stderr, process.stderr.isTTY) });
 */
export function progressPrinter(out: NodeJS.WritableStream, tty: boolean): (e: TrainEvent) => void {
  let lastDraw = 0;
  let barShown = false;
  const clear = (): void => {
    if (barShown) out.write('\r\x1b[2K');
    barShown = false;
  };
  const line = (s: string): void => {
    clear();
    out.write(`${s}\n`);
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        line(`training arguments:\n${e.configText.replace(/^/gm, '  ')}`);
        if (e.resumedFrom) line(`resuming from ${e.resumedFrom}`);
        for (const n of e.notes) line(`note: ${n}`);
        line(`${e.trainExamples} training examples, ${e.validationExamples} validation examples${e.validationSource ? ` (${e.validationSource})` : ''}; ${e.parameters.toLocaleString('en-US')} parameters; ${e.totalSteps} steps (${e.stepsPerEpoch} per epoch)`);
        if (e.labels) line(`labels: ${e.labels.map((l, i) => `${i}=${l}`).join(' ')}`);
        break;
      case 'step': {
        if (!tty) break;
        const now = Date.now();
        if (now - lastDraw < 200 && e.step < e.totalSteps) break;
        lastDraw = now;
        const w = 24;
        const frac = Math.min(1, e.step / e.totalSteps);
        const bar = `${'#'.repeat(Math.round(frac * w))}${'.'.repeat(w - Math.round(frac * w))}`;
        out.write(`\r\x1b[2Kstep ${e.step}/${e.totalSteps} [${bar}] ${(frac * 100).toFixed(0)}% epoch ${e.epoch.toFixed(2)} loss ${e.loss.toFixed(4)} lr ${e.learningRate.toExponential(2)} | ${fmtRate(e.examplesPerSecond)} ex/s ${fmtRate(e.tokensPerSecond)} tok/s | ETA ${formatDuration(e.etaSeconds)}`);
        barShown = true;
        break;
      }
      case 'log':
        if (e.record['type'] === 'baseline') line(`[baseline] ${fmtRecord(e.record)}`);
        else if (!tty) line(`[train] ${fmtRecord(e.record)}`);
        break;
      case 'eval':
        line(`[eval] ${fmtRecord(e.record)}${e.improved ? ' (best so far)' : ''}`);
        break;
      case 'checkpoint':
        line(`[checkpoint] ${e.reason === 'interrupt' ? 'interrupted: ' : ''}saved ${e.path}`);
        break;
      case 'early-stop':
        line(`[early stop] no improvement in ${e.patience} evaluations; stopping at step ${e.step}`);
        break;
      case 'done': {
        const r = e.result;
        clear();
        if (r.interrupted) line(`interrupted at step ${r.globalStep}/${r.totalSteps}; resume with --resume`);
        else {
          const m = r.evalMetrics ? ` ${fmtRecord(r.evalMetrics as Record<string, number>)}` : '';
          line(`done: ${r.globalStep} steps in ${formatDuration(r.trainSeconds)}${r.bestStep !== null ? `; best at step ${r.bestStep}` : ''};${m}; model saved to ${r.outputDir}`);
        }
        break;
      }
    }
  };
}
