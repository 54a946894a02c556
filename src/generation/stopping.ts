// Stopping: stop strings matched on decoded text (including a stop spanning several tokens), with hold-back of
// any tail that could still become a stop, so a partial stop never reaches the stream; and stop token ids.
import { BertchatError } from '../util/errors.js';

/** OpenAI allows up to 4 stop sequences. */
export const MAX_STOP_STRINGS = 4;

/** Normalises `stop` (a string or a list; empty strings dropped) and checks its size. */
export function normalizeStops(stop: string | readonly string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  const list = (typeof stop === 'string' ? [stop] : [...stop]).filter((s) => s.length > 0);
  if (list.some((s) => typeof s !== 'string')) throw new BertchatError('INVALID_ARGUMENT', 'stop must be a string or a list of strings');
  if (list.length > MAX_STOP_STRINGS) throw new BertchatError('INVALID_ARGUMENT', `stop: at most ${MAX_STOP_STRINGS} stop strings, got ${list.length}`);
  return list;
}

export interface StopCheck {
  /** Text up to here may be emitted now. */
  safe: number;
  /** Index where a stop string starts (the final text ends here), or -1. */
  stopAt: number;
  /** The stop string found, when stopAt ≥ 0. */
  stop?: string;
}

/**
 * Scans decoded text for stop strings.
 * @example
 * const m = new StopStringMatcher(['\n\n']);
 * m.check('Hello\n', 0, false) // { safe: 5, stopAt: -1 }: '\n' could start a stop, so it is held back
 * m.check('Hello\n\nBye', 5, false) // { safe: 5, stopAt: 5, stop: '\n\n' }
 */
export class StopStringMatcher {
  private readonly maxLen: number;
  constructor(readonly stops: readonly string[]) {
    this.maxLen = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /**
   * `text` is all decoded text so far, `emitted` how much of it was already streamed (never part of a stop),
   * `final` true when no more text will come (nothing needs holding back).
   */
  check(text: string, emitted: number, final: boolean): StopCheck {
    if (this.stops.length === 0) return { safe: text.length, stopAt: -1 };
    const from = Math.max(0, emitted - this.maxLen + 1);
    let stopAt = -1;
    let which: string | undefined;
    for (const s of this.stops) {
      const i = text.indexOf(s, from);
      if (i >= 0 && (stopAt < 0 || i < stopAt)) {
        stopAt = i;
        which = s;
      }
    }
    if (stopAt >= 0) return { safe: Math.max(emitted, stopAt), stopAt, stop: which! };
    if (final) return { safe: text.length, stopAt: -1 };
    // hold back the longest tail that is a proper prefix of some stop string
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
        if (text.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return { safe: Math.max(emitted, text.length - hold), stopAt: -1 };
  }
}

/** The ids that end a sequence: the model's EOS ids (unless ignored) plus extra stop token ids. */
export function stopTokenSet(eos: readonly number[], extra: readonly number[] | undefined, ignoreEos: boolean): Set<number> {
  const s = new Set<number>(ignoreEos ? [] : eos);
  for (const id of extra ?? []) s.add(id);
  return s;
}
