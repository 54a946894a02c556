// A model worker thread: loads the served models once (a LocalEngine), then runs jobs posted by the main
// thread one at a time, streaming generation events back. An `abort` message cancels the running job.
import { parentPort } from 'node:worker_threads';
import { setNativeThreads } from '../tensor/backend/native/index.js';
import { setLogLevel, setLogSink, type LogLevel } from '../util/logging.js';
import { LocalEngine } from './local-engine.js';
import { toWire, type FromWorker, type JobPayload, type ToWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const post = (m: FromWorker): void => port.postMessage(m);
setLogSink((level, message) => post({ type: 'log', level, message }));

let engine: LocalEngine | null = null;
const running = new Map<number, AbortController>();

async function runJob(id: number, p: JobPayload, signal: AbortSignal): Promise<void> {
  const e = engine!;
  if (p.kind === 'generate') {
    for await (const event of e.generate(p.req, signal)) post({ type: 'event', id, event });
  } else if (p.kind === 'embed') {
    post({ type: 'result', id, result: await e.embed(p.model, p.input, signal) });
  } else {
    post({ type: 'result', id, result: await e.classify(p.model, p.input, signal) });
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    setLogLevel(msg.logLevel as LogLevel);
    if (msg.threads !== null) setNativeThreads(msg.threads);
    LocalEngine.load(msg.specs).then(
      (e) => {
        engine = e;
        post({ type: 'ready', models: e.models() });
      },
      (err) => post({ type: 'init-error', error: toWire(err) }),
    );
  } else if (msg.type === 'job') {
    const ac = new AbortController();
    running.set(msg.id, ac);
    runJob(msg.id, msg.payload, ac.signal).then(
      () => post({ type: 'end', id: msg.id }),
      (err) => post({ type: 'error', id: msg.id, error: toWire(err) }),
    ).finally(() => running.delete(msg.id));
  } else if (msg.type === 'abort') {
    running.get(msg.id)?.abort();
  }
});
