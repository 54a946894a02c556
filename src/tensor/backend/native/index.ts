// Loads the native addon (build/Release/bertchat_native.node) and wraps it as a Backend.
// Placeholder until the native kernels land: reports the addon as unavailable.
import type { Backend } from '../backend.js';

export function loadNativeBackend(): { backend: Backend | null; reason: string } {
  return { backend: null, reason: 'not built' };
}
