// BERT-base-shaped encoder as a plain ONNX graph (what an HF export holds before fusion), random weights,
// timed with onnxruntime-node the way bench/bert.ts times ours: batch 1 and 8, sequence 128, 2 threads.
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');
const H = 768, NH = 12, D = 64, I = 3072, L = 12;
const nodes = [], inits = [];
let k = 0;
const name = (p) => `${p}_${k++}`;
const init = (dims, fill) => { const n = name('w'); const a = new Float32Array(dims.reduce((x, y) => x * y, 1)).map(fill ?? (() => (Math.random() - 0.5) * 0.04)); inits.push(onnx.TensorProto.create({ name: n, dims, dataType: 1, rawData: new Uint8Array(a.buffer) })); return n; };
const i64 = (vals) => { const n = name('c'); inits.push(onnx.TensorProto.create({ name: n, dims: [vals.length], dataType: 7, int64Data: vals })); return n; };
const op = (type, inputs, attrs = []) => { const o = name(type); nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: [o], attribute: attrs })); return o; };
const attrI = (n, i) => onnx.AttributeProto.create({ name: n, type: 2, i });
const attrF = (n, f) => onnx.AttributeProto.create({ name: n, type: 1, f });
const attrInts = (n, ints) => onnx.AttributeProto.create({ name: n, type: 7, ints });
const linear = (x, i, o) => op('Add', [op('MatMul', [x, init([i, o])]), init([o])]);
const ln = (x) => op('LayerNormalization', [x, init([H], () => 1), init([H], () => 0)], [attrI('axis', -1), attrF('epsilon', 1e-12)]);
const heads = (x) => op('Transpose', [op('Reshape', [x, i64([0, 0, NH, D])])], [attrInts('perm', [0, 2, 1, 3])]);
let x = 'X';
const mask = 'M'; // (B, 1, 1, T) additive
const scale = init([1], () => 1 / Math.sqrt(D));
const half = init([1], () => 0.5), one = init([1], () => 1), rs2 = init([1], () => Math.SQRT1_2);
for (let l = 0; l < L; l++) {
  const q = heads(linear(x, H, H)), kk = heads(linear(x, H, H)), v = heads(linear(x, H, H));
  const s = op('Add', [op('Mul', [op('MatMul', [q, op('Transpose', [kk], [attrInts('perm', [0, 1, 3, 2])])]), scale]), mask]);
  const p = op('Softmax', [s], [attrI('axis', -1)]);
  const ctx = op('Reshape', [op('Transpose', [op('MatMul', [p, v])], [attrInts('perm', [0, 2, 1, 3])]), i64([0, 0, H])]);
  x = ln(op('Add', [linear(ctx, H, H), x]));
  const h = linear(x, H, I);
  const g = op('Mul', [op('Mul', [h, half]), op('Add', [op('Erf', [op('Mul', [h, rs2])]), one])]);
  x = ln(op('Add', [linear(g, I, H), x]));
}
const vi = (n, dims) => onnx.ValueInfoProto.create({ name: n, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
const graph = onnx.GraphProto.create({ name: 'bert', node: nodes, initializer: inits, input: [vi('X', ['B', 128, H]), vi('M', ['B', 1, 1, 128])], output: [vi(x, ['B', 128, H])] });
const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
(async () => {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  for (const B of [1, 8]) {
    const X = new ort.Tensor('float32', new Float32Array(B * 128 * H).map(() => Math.random()), [B, 128, H]);
    const M = new ort.Tensor('float32', new Float32Array(B * 128), [B, 1, 1, 128]);
    for (let i = 0; i < 3; i++) await s.run({ X, M });
    const t = [];
    for (let r = 0; r < (B === 1 ? 15 : 7); r++) { const t0 = process.hrtime.bigint(); await s.run({ X, M }); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
    t.sort((a, b) => a - b);
    console.log(JSON.stringify({ bench: 'bert_base_forward', engine: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version, threads: 2, batch: B, seq: 128, ms: +t[t.length >> 1].toFixed(1), best_ms: +t[0].toFixed(1) }));
  }
})();
