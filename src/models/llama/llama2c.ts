// Reader for karpathy/llama2.c checkpoints (legacy v0 `.bin`): a header of 7 int32 (dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size — negative means an unshared classifier — and seq_len), then float32 weights
// grouped by kind over all layers. Mapped into LlamaForCausalLM; wq/wk rows are permuted from llama2.c's
// interleaved RoPE pairs to HF's rotate_half halves, as convert_llama_weights_to_hf.py `permute` does.
import { readFileSync } from 'node:fs';
import { BertchatError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { parseLlamaConfig, type LlamaConfig } from './config.js';
import { LlamaForCausalLM } from './modeling.js';

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Always positive here; `sharedClassifier` says whether wcls is stored. */
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

const HEADER_BYTES = 7 * 4;

/** Parses the 28-byte header. */
export function readLlama2cHeader(buf: Uint8Array, file = '<buffer>'): Llama2cHeader {
  if (buf.byteLength < HEADER_BYTES) throw new BertchatError('CHECKPOINT', `${file}: ${buf.byteLength} bytes is too short for a llama2.c header`, { file });
  const dv = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  const h = Array.from({ length: 7 }, (_, i) => dv.getInt32(i * 4, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = h as [number, number, number, number, number, number, number];
  const bad = (what: string) => {
    throw new BertchatError('CHECKPOINT', `${file}: not a llama2.c checkpoint (${what}; header ${JSON.stringify(h)})`, { file });
  };
  if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || vocab === 0 || seqLen <= 0) bad('non-positive sizes');
  if (dim % nHeads !== 0) bad(`dim ${dim} is not a multiple of n_heads ${nHeads}`);
  if (nHeads % nKvHeads !== 0) bad(`n_heads ${nHeads} is not a multiple of n_kv_heads ${nKvHeads}`);
  if ((dim / nHeads) % 2 !== 0) bad('odd head size');
  return { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
}

/** Floats the file must hold after the header (legacy v0 layout, freq_cis tables included). */
export function llama2cFloatCount(h: Llama2cHeader): number {
  const hs = h.dim / h.nHeads;
  const kv = h.nKvHeads * hs;
  const L = h.nLayers;
  return (
    h.vocabSize * h.dim + // token_embedding_table
    L * h.dim + // rms_att_weight
    L * h.dim * h.dim + L * kv * h.dim * 2 + L * h.dim * h.dim + // wq, wk, wv, wo
    L * h.dim + // rms_ffn_weight
    L * h.hiddenDim * h.dim * 3 + // w1, w2, w3
    h.dim + // rms_final_weight
    h.seqLen * hs + // freq_cis_real + freq_cis_imag (seq_len · hs/2 each), unused
    (h.sharedClassifier ? 0 : h.vocabSize * h.dim) // wcls
  );
}

/** The HF config a llama2.c checkpoint corresponds to (llama2.c: theta 10000, RMSNorm eps 1e-5, BOS 1, EOS 2). */
export function llama2cConfig(h: Llama2cHeader): LlamaConfig {
  return parseLlamaConfig({
    model_type: 'llama', architectures: ['LlamaForCausalLM'],
    hidden_size: h.dim, intermediate_size: h.hiddenDim, num_hidden_layers: h.nLayers, num_attention_heads: h.nHeads,
    num_key_value_heads: h.nKvHeads, vocab_size: h.vocabSize, max_position_embeddings: h.seqLen,
    rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: h.sharedClassifier, bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu',
  }, 'llama2.c header');
}

/**
 * Interleaved-pair RoPE rows → rotate_half rows, per head: row h·hs + 2p + c moves to h·hs + c·hs/2 + p
 * (HF `w.view(n_heads, hs/2, 2, in).transpose(1, 2).reshape(out, in)`). w is [nHeads·hs, cols] row-major.
 */
export function permuteRopeRows(w: Float32Array, nHeads: number, cols: number): Float32Array {
  const rows = w.length / cols;
  const hs = rows / nHeads;
  const half = hs / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let p = 0; p < half; p++) {
      for (let c = 0; c < 2; c++) {
        const src = (h * hs + 2 * p + c) * cols;
        const dst = (h * hs + c * half + p) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/**
 * Reads a llama2.c `.bin` into a LlamaForCausalLM (eval mode, grads off).
 * @example const { model, header } = readLlama2c('stories260K.bin'); header.dim // 64
 */
export function readLlama2c(pathOrBytes: string | Uint8Array): { model: LlamaForCausalLM; header: Llama2cHeader; config: LlamaConfig } {
  const file = typeof pathOrBytes === 'string' ? pathOrBytes : '<buffer>';
  const buf = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  const h = readLlama2cHeader(buf, file);
  const need = HEADER_BYTES + 4 * llama2cFloatCount(h);
  if (buf.byteLength !== need) {
    throw new BertchatError('CHECKPOINT', `${file}: ${buf.byteLength} bytes, but a llama2.c v0 checkpoint with header ${JSON.stringify(h)} has ${need} (another export version?)`, { file });
  }
  // copy into an aligned Float32Array (a file Buffer's offset need not be a multiple of 4)
  const floats = new Float32Array(llama2cFloatCount(h));
  new Uint8Array(floats.buffer).set(buf.subarray(HEADER_BYTES, need));
  let at = 0;
  const take = (n: number) => floats.subarray(at, (at += n));
  const { dim, hiddenDim: hid, nLayers: L, nHeads, nKvHeads, vocabSize: V, seqLen } = h;
  const hs = dim / nHeads;
  const kvDim = nKvHeads * hs;
  const config = llama2cConfig(h);
  const model = new LlamaForCausalLM(config, { rng: new Rng(0) });
  const sd = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, shape: number[], data: Float32Array) => sd.set(name, { shape, data });
  const perLayer = (n: number) => Array.from({ length: L }, () => take(n));
  put('model.embed_tokens.weight', [V, dim], take(V * dim));
  const rmsAtt = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const rmsFfn = perLayer(dim);
  const w1 = perLayer(hid * dim);
  const w2 = perLayer(dim * hid);
  const w3 = perLayer(hid * dim);
  put('model.norm.weight', [dim], take(dim));
  take(seqLen * hs); // freq_cis_real, freq_cis_imag: recomputed from theta instead
  if (!h.sharedClassifier) put('lm_head.weight', [V, dim], take(V * dim));
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, [dim], rmsAtt[l]!);
    put(`${p}self_attn.q_proj.weight`, [dim, dim], permuteRopeRows(wq[l]!, nHeads, dim));
    put(`${p}self_attn.k_proj.weight`, [kvDim, dim], permuteRopeRows(wk[l]!, nKvHeads, dim));
    put(`${p}self_attn.v_proj.weight`, [kvDim, dim], wv[l]!);
    put(`${p}self_attn.o_proj.weight`, [dim, dim], wo[l]!);
    put(`${p}post_attention_layernorm.weight`, [dim], rmsFfn[l]!);
    put(`${p}mlp.gate_proj.weight`, [hid, dim], w1[l]!);
    put(`${p}mlp.down_proj.weight`, [dim, hid], w2[l]!);
    put(`${p}mlp.up_proj.weight`, [hid, dim], w3[l]!);
  }
  model.loadStateDict(sd);
  return { model: model.eval().requiresGrad_(false), header: h, config };
}
