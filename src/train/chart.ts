// training.svg: the training loss and validation metrics against the optimizer step, drawn as plain SVG
// (no dependency). Top panel: losses; bottom panel: accuracy / F1 when the run has them.

export interface MetricPoint {
  type: 'log' | 'eval' | 'baseline' | 'train_end';
  step: number;
  [key: string]: unknown;
}

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

const W = 760;
const PANEL_H = 260;
const M = { left: 60, right: 150, top: 30, bottom: 40 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  if (a >= 1) return `${+v.toFixed(2)}`;
  return `${+v.toPrecision(2)}`;
}

function panel(series: Series[], title: string, y0: number, maxStep: number): string {
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  let lo = Math.min(...pts.map((p) => p[1]));
  let hi = Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const pw = W - M.left - M.right;
  const ph = PANEL_H - M.top - M.bottom;
  const x = (s: number): number => M.left + (maxStep > 0 ? (s / maxStep) * pw : 0);
  const y = (v: number): number => y0 + M.top + ph - ((v - lo) / (hi - lo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${M.left}" y="${y0 + 18}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${M.left}" y="${y0 + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(0, maxStep)) {
    parts.push(`<text x="${x(t).toFixed(1)}" y="${y0 + M.top + ph + 16}" font-size="11" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${y0 + PANEL_H - 6}" font-size="12" text-anchor="middle">step</text>`);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([a, b], k) => `${k === 0 ? 'M' : 'L'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    if (s.points.length <= 60) for (const [a, b] of s.points) parts.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const ly = y0 + M.top + 14 + i * 18;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    parts.push(`<text x="${W - M.right + 38}" y="${ly}" font-size="12">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

/**
 * The chart of a run's metrics.jsonl events as an SVG document.
 * @example writeFileSync('training.svg', trainingChart(events));
 */
export function trainingChart(events: MetricPoint[], title = 'bertchat training'): string {
  const num = (e: MetricPoint, k: string): number | null => (typeof e[k] === 'number' && Number.isFinite(e[k]) ? (e[k] as number) : null);
  const series = (type: 'log' | 'eval', key: string, name: string, color: string, dashed = false): Series => ({
    name,
    color,
    dashed,
    points: events.filter((e) => e.type === type && num(e, key) !== null).map((e) => [e.step, num(e, key)!] as [number, number]),
  });
  const maxStep = Math.max(1, ...events.map((e) => e.step));
  const losses = [series('log', 'loss', 'train loss', '#1f77b4'), series('eval', 'eval_loss', 'validation loss', '#d62728', true)];
  const base = events.find((e) => e.type === 'baseline' && num(e, 'unigram_eval_loss') !== null);
  if (base) losses.push({ name: 'unigram baseline', color: '#7f7f7f', dashed: true, points: [[0, num(base, 'unigram_eval_loss')!], [maxStep, num(base, 'unigram_eval_loss')!]] });
  const scores = [series('eval', 'eval_accuracy', 'val accuracy', '#2ca02c'), series('eval', 'eval_f1', 'val macro-F1', '#9467bd', true)];
  const hasScores = scores.some((s) => s.points.length > 0);
  const height = PANEL_H * (hasScores ? 2 : 1) + 10;
  const body = [panel(losses, 'loss', 0, maxStep), hasScores ? panel(scores, 'validation metrics', PANEL_H, maxStep) : ''].join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
