// Back-end selection: `native` (C, AVX2/FMA, threads) where the addon was built, else `js`.
// BERTCHAT_BACKEND=js|native chooses explicitly; BERTCHAT_THREADS=N sets the native thread count.
import type { Backend, BackendName } from './backend.js';
import { jsBackend } from './js/index.js';
import { loadNativeBackend } from './native/index.js';
import { BertchatError } from '../../util/errors.js';
import { log } from '../../util/logging.js';

export type { Backend, BackendName, GemmArgs, BinaryOp, UnaryOp } from './backend.js';
export { jsBackend };

let current: Backend | null = null;
let nativeTried = false;
let nativeCached: Backend | null = null;

/** The native back end, or null when the addon is not built or fails to load (logged once). */
export function nativeBackend(): Backend | null {
  if (!nativeTried) {
    nativeTried = true;
    const res = loadNativeBackend();
    if (res.backend) nativeCached = res.backend;
    else log.warn(`native back end unavailable (${res.reason}); using the js back end`);
  }
  return nativeCached;
}

/** The back end all tensor ops use now. */
export function getBackend(): Backend {
  if (current) return current;
  const want = (process.env.BERTCHAT_BACKEND ?? '').toLowerCase();
  if (want === 'js') current = jsBackend;
  else if (want === 'native') {
    const nb = nativeBackend();
    if (!nb) throw new BertchatError('BACKEND', 'BERTCHAT_BACKEND=native but the native addon is not available (build it with `npm run build`)');
    current = nb;
  } else if (want !== '') {
    throw new BertchatError('BACKEND', `BERTCHAT_BACKEND must be "js" or "native", got "${want}"`);
  } else current = nativeBackend() ?? jsBackend;
  return current;
}

/** Switches back end for all later ops ("js" is always available). */
export function setBackend(name: BackendName | Backend): Backend {
  if (typeof name !== 'string') current = name;
  else if (name === 'js') current = jsBackend;
  else {
    const nb = nativeBackend();
    if (!nb) throw new BertchatError('BACKEND', 'the native back end is not available (the addon was not built)');
    current = nb;
  }
  return current;
}

/** Every back end that can run here, for conformance tests and benchmarks. */
export function availableBackends(): Backend[] {
  const nb = nativeBackend();
  return nb ? [jsBackend, nb] : [jsBackend];
}

/** Runs fn with a back end selected, restoring the previous one after. */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const prev = current;
  current = b;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
