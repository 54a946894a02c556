// Library logging. Silent by default: a library must not write to a user's terminal unasked.
// BERTCHAT_LOG=error|warn|info|debug turns it on (to stderr); setLogLevel() or setLogSink() do so in code.

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export type LogSink = (level: Exclude<LogLevel, 'silent'>, message: string) => void;

function envLevel(): LogLevel {
  const v = (globalThis.process?.env?.BERTCHAT_LOG ?? '').toLowerCase();
  return v in ORDER ? (v as LogLevel) : 'silent';
}

let level: LogLevel = envLevel();
let sink: LogSink = (lvl, msg) => {
  globalThis.process?.stderr?.write(`bertchat ${lvl}: ${msg}\n`);
};

export function setLogLevel(l: LogLevel): void {
  level = l;
}
export function getLogLevel(): LogLevel {
  return level;
}
/** Replaces where log lines go (the CLI and server route them to their own output). */
export function setLogSink(s: LogSink): void {
  sink = s;
}

function emit(l: Exclude<LogLevel, 'silent'>, parts: unknown[]): void {
  if (ORDER[l] > ORDER[level]) return;
  sink(l, parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(' '));
}

export const log = {
  error: (...p: unknown[]) => emit('error', p),
  warn: (...p: unknown[]) => emit('warn', p),
  info: (...p: unknown[]) => emit('info', p),
  debug: (...p: unknown[]) => emit('debug', p),
};
