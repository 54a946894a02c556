// Side-by-side reference: onnxruntime MatMul GFLOP/s on the shapes bench/matmul.ts measures (see README.md here).
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');
function model(M, N, K) {
  const B = new Float32Array(K * N).map(() => Math.random() - 0.5);
  const g = onnx.GraphProto.create({
    name: 'mm',
    node: [onnx.NodeProto.create({ opType: 'MatMul', input: ['A', 'B'], output: ['C'] })],
    initializer: [onnx.TensorProto.create({ name: 'B', dims: [K, N], dataType: 1, rawData: new Uint8Array(B.buffer) })],
    input: [onnx.ValueInfoProto.create({ name: 'A', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: M }, { dimValue: K }] } } } })],
    output: [onnx.ValueInfoProto.create({ name: 'C', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: M }, { dimValue: N }] } } } })],
  });
  const m = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: g });
  return onnx.ModelProto.encode(m).finish();
}
(async () => {
  for (const threads of [1, 2]) for (const [M, N, K] of [[768, 768, 768], [128, 3072, 768]]) {
    const s = await ort.InferenceSession.create(model(M, N, K), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const A = new ort.Tensor('float32', new Float32Array(M * K).map(() => Math.random() - 0.5), [M, K]);
    for (let i = 0; i < 10; i++) await s.run({ A });
    const times = [];
    for (let r = 0; r < 7; r++) { const t0 = process.hrtime.bigint(); const n = 20; for (let i = 0; i < n; i++) await s.run({ A }); times.push(Number(process.hrtime.bigint() - t0) / 1e6 / n); }
    times.sort((a, b) => a - b);
    const ms = times[3];
    console.log(JSON.stringify({ bench: 'matmul', engine: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version, threads, M, N, K, gflops: +((2 * M * N * K) / ms / 1e6).toFixed(1), ms: +ms.toFixed(3) }));
  }
})();
