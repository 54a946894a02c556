// BERT benchmarks: forward latency of a BERT-base-shaped classifier (12 layers, 768 hidden, 12 heads,
// 3072 intermediate, random weights) at sequence 128, batch 1 and 8; and training throughput of a
// BERT-mini-shaped classifier (4 layers, 256 hidden) at sequence 64, batch 32.
import { BertForSequenceClassification } from '../src/models/bert/heads.js';
import { BertSelfAttention } from '../src/models/bert/modeling.js';
import { bertConfig as makeBertConfig, type BertConfig } from '../src/models/bert/config.js';
import { getBackend, intTensor, noGrad } from '../src/tensor/index.js';
import { AdamW } from '../src/optim/index.js';
import { Rng } from '../src/util/rng.js';

export function bertConfig(size: 'base' | 'mini', numLabels = 2): BertConfig {
  const base = size === 'base';
  return makeBertConfig({
    vocab_size: 30522,
    hidden_size: base ? 768 : 256,
    num_hidden_layers: base ? 12 : 4,
    num_attention_heads: base ? 12 : 4,
    intermediate_size: base ? 3072 : 1024,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    num_labels: numLabels,
  });
}

function randomIds(B: number, T: number, rng: Rng): number[][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, () => 1000 + rng.int(20000)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface BertForwardOptions {
  iters?: number;
  attention?: 'fused' | 'reference';
  batches?: number[];
  /** 'packed' (default, what pipelines and the server use): Module.packForInference(); 'plain': B packed per call. */
  weights?: 'packed' | 'plain';
}

/** The same forward without pre-packed weights, for comparison. */
export async function benchBertForwardPlain(): Promise<object[]> {
  return benchBertForward({ weights: 'plain' });
}

/**
 * BERT-base forward at seq 128, batch 1 and 8: median ms/call and sequences/s. `attention: 'reference'`
 * times the unfused attention path (matmul → scale → masked softmax → matmul) instead of the fused op.
 */
export async function benchBertForward(opts: BertForwardOptions = {}): Promise<object[]> {
  const fusedBefore = BertSelfAttention.fused;
  BertSelfAttention.fused = opts.attention !== 'reference';
  try {
    return await forwardRuns(opts);
  } finally {
    BertSelfAttention.fused = fusedBefore;
  }
}

async function forwardRuns(opts: BertForwardOptions): Promise<object[]> {
  // the js back end has no packed GEMM: it always runs plain, and says so
  const weights = getBackend().packWeight ? (opts.weights ?? 'packed') : 'plain';
  const model = new BertForSequenceClassification(bertConfig('base')).eval();
  if (weights === 'packed') model.packForInference();
  const rng = new Rng(1);
  const out: object[] = [];
  for (const B of opts.batches ?? [1, 8]) {
    const ids = intTensor(randomIds(B, 128, rng));
    const mask = intTensor(Array.from({ length: B }, () => new Array(128).fill(1)));
    const iters = opts.iters ?? (B === 1 ? 10 : 4);
    noGrad(() => model.forward({ inputIds: ids, attentionMask: mask })); // warm-up
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      noGrad(() => model.forward({ inputIds: ids, attentionMask: mask }));
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    out.push({ bench: 'bert_base_forward', attention: opts.attention ?? 'fused', weights, backend: getBackend().name, threads: getBackend().threads, batch: B, seq: 128, ms: +ms.toFixed(1), seq_per_s: +((B * 1000) / ms).toFixed(2) });
  }
  return out;
}

export async function benchBertTrain(opts: { steps?: number } = {}): Promise<object[]> {
  const model = new BertForSequenceClassification(bertConfig('mini')).train();
  const opt = new AdamW(model.parameters(), { lr: 1e-4 });
  const rng = new Rng(2);
  const B = 32;
  const T = 64;
  const steps = opts.steps ?? 5;
  const ids = intTensor(randomIds(B, T, rng));
  const mask = intTensor(Array.from({ length: B }, () => new Array(T).fill(1)));
  const labels = intTensor(Array.from({ length: B }, () => rng.int(2)));
  const step = () => {
    opt.zeroGrad();
    const { loss } = model.forward({ inputIds: ids, attentionMask: mask, labels });
    loss!.backward();
    opt.step();
  };
  step(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const s = (performance.now() - t0) / 1000;
  return [{ bench: 'bert_mini_train', backend: getBackend().name, threads: getBackend().threads, batch: B, seq: T, examples_per_s: +((B * steps) / s).toFixed(1), tokens_per_s: Math.round((B * T * steps) / s) }];
}
