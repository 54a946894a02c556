// RoPE inverse frequencies for Llama-family configs, as HF modeling_rope_utils.py computes them:
// default, linear (positions / factor), dynamic NTK (base grows with the sequence) and llama3 (per-band scaling).
// yarn and longrope are refused with a CONFIG error rather than silently computed wrong.
import { defaultInvFreq } from '../../tensor/ops/rope.js';
import { BertchatError } from '../../util/errors.js';
import type { LlamaConfig } from './config.js';

/**
 * inv_freq (head_dim / 2) for a forward whose largest position is seqLen - 1 (only `dynamic` depends on it).
 * @example ropeInvFreq(cfg, 1)[0] // 1 for every rope type but linear
 */
export function ropeInvFreq(cfg: LlamaConfig, seqLen: number): Float64Array {
  const dim = cfg.head_dim;
  const base = cfg.rope_theta;
  const rs = cfg.rope_scaling;
  const type = rs?.rope_type ?? 'default';
  switch (type) {
    case 'default':
      return defaultInvFreq(dim, base);
    case 'linear': {
      const inv = defaultInvFreq(dim, base);
      for (let i = 0; i < inv.length; i++) inv[i] = inv[i]! / rs!.factor!;
      return inv;
    }
    case 'dynamic': {
      // _compute_dynamic_ntk_parameters: seq_len below max_position_embeddings leaves the base unchanged
      const factor = rs!.factor!;
      const maxPos = cfg.max_position_embeddings;
      const L = Math.max(seqLen, maxPos);
      const b = base * Math.pow((factor * L) / maxPos - (factor - 1), dim / (dim - 2));
      return defaultInvFreq(dim, b);
    }
    case 'llama3': {
      const inv = defaultInvFreq(dim, base);
      const factor = rs!.factor!;
      const low = rs!.low_freq_factor!;
      const high = rs!.high_freq_factor!;
      const oldCtx = rs!.original_max_position_embeddings!;
      const lowWavelen = oldCtx / low;
      const highWavelen = oldCtx / high;
      for (let i = 0; i < inv.length; i++) {
        const f = inv[i]!;
        const wavelen = (2 * Math.PI) / f;
        if (wavelen > lowWavelen) inv[i] = f / factor; // low frequencies: scaled
        else if (wavelen >= highWavelen) {
          // medium band: interpolate between scaled and unscaled
          const smooth = (oldCtx / wavelen - low) / (high - low);
          inv[i] = (1 - smooth) * (f / factor) + smooth * f;
        } // high frequencies: unchanged
      }
      return inv;
    }
    default:
      throw new BertchatError('CONFIG', `rope_scaling type "${type}" is not supported yet (supported: default, linear, dynamic, llama3)`);
  }
}
