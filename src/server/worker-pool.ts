// The server's Engine: N worker threads, each with every model loaded once, and a bounded FIFO of jobs.
// A job runs on the first idle worker; beyond `maxQueue` waiting jobs, submit fails with 429. Aborting a
// job's signal removes it from the queue or posts `abort` to its worker. A crashed worker is replaced.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BertchatError } from '../util/errors.js';
import { getLogLevel, log } from '../util/logging.js';
import { Channel } from './channel.js';
import type { ClassifyResult, EmbedResult, Engine, GenerateEvent, GenerateRequest, ModelInfo, ModelSpec } from './engine.js';
import { HttpError } from './errors.js';
import { fromWire, type FromWorker, type JobPayload, type ToWorker } from './worker-protocol.js';

export interface WorkerPoolOptions {
  specs: ModelSpec[];
  /** Worker threads (each loads every model). Default 1. */
  workers?: number;
  /** Jobs allowed to wait for a worker; one more gets 429. Default 32. */
  maxQueue?: number;
  /**
   * Native kernel threads per worker. Default: $BERTCHAT_THREADS if set, else (CPUs - 1) / workers, at
   * least 1, so one core stays free for the event loop (/health answers fast during generation).
   */
  threads?: number | null;
}

interface Job {
  id: number;
  payload: JobPayload;
  onEvent(e: GenerateEvent): void;
  onResult(r: EmbedResult | ClassifyResult): void;
  onError(e: Error): void;
  onEnd(): void;
  worker: Slot | null;
  finished: boolean;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class WorkerPool implements Engine {
  private slots: Slot[] = [];
  /** Every live worker, ready or still loading (close() must end the ones still loading too, or they keep the process alive). */
  private workers = new Set<Worker>();
  private queue: Job[] = [];
  private nextId = 1;
  private info: ModelInfo[] = [];
  private closed = false;
  /** Jobs cancelled by their caller (a disconnected client), for /metrics. */
  cancelled = 0;

  private constructor(private readonly opts: Required<WorkerPoolOptions>) {}

  /** Starts the workers and waits until every one has loaded the models. */
  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const workers = Math.max(1, opts.workers ?? 1);
    const threads = opts.threads ?? (process.env['BERTCHAT_THREADS'] ? null : Math.max(1, Math.floor((availableParallelism() - 1) / workers)));
    const pool = new WorkerPool({ maxQueue: 32, ...opts, workers, threads });
    try {
      await Promise.all(Array.from({ length: Math.max(1, pool.opts.workers) }, () => pool.spawn()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL);
      this.workers.add(worker);
      const slot: Slot = { worker, job: null };
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          this.info = m.models;
          this.slots.push(slot);
          resolve();
          this.pump();
        } else if (m.type === 'init-error') {
          void worker.terminate(); // it loaded nothing and will never serve: end it so the process can exit
          reject(fromWire(m.error));
        } else if (m.type === 'log') log[m.level](m.message);
        else this.onJobMessage(slot, m);
      });
      worker.on('error', (err) => {
        if (!ready) return reject(err);
        log.error(`model worker crashed: ${err.message}`);
      });
      worker.on('exit', () => {
        this.workers.delete(worker);
        this.slots = this.slots.filter((s) => s !== slot);
        if (slot.job && !slot.job.finished) this.finish(slot.job, new HttpError(500, 'The model worker stopped unexpectedly.', 'server_error'));
        if (ready && !this.closed) this.spawn().catch((e) => log.error(`could not restart a model worker: ${(e as Error).message}`));
      });
      const init: ToWorker = { type: 'init', specs: this.opts.specs, logLevel: getLogLevel(), threads: this.opts.threads };
      worker.postMessage(init);
    });
  }

  private onJobMessage(slot: Slot, m: Exclude<FromWorker, { type: 'ready' | 'init-error' | 'log' }>): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return; // a late message of an aborted job
    if (m.type === 'event') job.onEvent(m.event);
    else if (m.type === 'result') job.onResult(m.result);
    else if (m.type === 'error') this.finish(job, fromWire(m.error));
    else this.finish(job, null);
  }

  private finish(job: Job, err: Error | null): void {
    if (job.finished) return;
    job.finished = true;
    if (job.worker) job.worker.job = null;
    job.worker = null;
    if (err) job.onError(err);
    else job.onEnd();
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      job.worker = slot;
      const msg: ToWorker = { type: 'job', id: job.id, payload: job.payload };
      slot.worker.postMessage(msg);
    }
  }

  private submit(payload: JobPayload, handlers: Pick<Job, 'onEvent' | 'onResult' | 'onError' | 'onEnd'>, signal?: AbortSignal): Job {
    if (this.closed) throw new HttpError(503, 'The server is shutting down.', 'server_error');
    if (signal?.aborted) throw new BertchatError('CANCELLED', 'request cancelled');
    const busy = this.slots.every((s) => s.job !== null);
    if (busy && this.queue.length >= this.opts.maxQueue) {
      throw new HttpError(429, `The server is busy: ${this.queue.length} requests are already waiting. Please retry later.`, 'rate_limit_error', null, 'queue_full');
    }
    const job: Job = { id: this.nextId++, payload, ...handlers, worker: null, finished: false };
    this.queue.push(job);
    signal?.addEventListener('abort', () => this.cancel(job), { once: true });
    this.pump();
    return job;
  }

  private cancel(job: Job): void {
    if (job.finished) return;
    this.cancelled++;
    if (job.worker) {
      const msg: ToWorker = { type: 'abort', id: job.id };
      job.worker.worker.postMessage(msg);
      // The worker answers with an error (CANCELLED) for this id and then takes the next job.
    } else {
      this.queue = this.queue.filter((j) => j !== job);
      this.finish(job, new BertchatError('CANCELLED', 'request cancelled'));
    }
  }

  models(): ModelInfo[] {
    return this.info;
  }
  queueDepth(): number {
    return this.queue.length;
  }
  active(): number {
    return this.slots.filter((s) => s.job !== null).length;
  }

  generate(req: GenerateRequest, signal?: AbortSignal): AsyncIterable<GenerateEvent> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const self = this;
    return (async function* () {
      const ch = new Channel<GenerateEvent>();
      self.submit({ kind: 'generate', req }, { onEvent: (e) => ch.push(e), onResult: () => {}, onError: (e) => ch.fail(e), onEnd: () => ch.end() }, ac.signal);
      try {
        yield* ch;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        ac.abort(); // a consumer that stops early (client gone) cancels the job; no-op once it ended
      }
    })();
  }

  private request<R>(payload: JobPayload, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let result: R | null = null;
      this.submit(
        payload,
        { onEvent: () => {}, onResult: (r) => (result = r as R), onError: reject, onEnd: () => (result === null ? reject(new Error('worker returned no result')) : resolve(result)) },
        signal,
      );
    });
  }
  embed(model: string, input: Array<string | number[]>, signal?: AbortSignal): Promise<EmbedResult> {
    return this.request({ kind: 'embed', model, input }, signal);
  }
  classify(model: string, input: string[], signal?: AbortSignal): Promise<ClassifyResult> {
    return this.request({ kind: 'classify', model, input }, signal);
  }

  /** Cancels queued and running jobs, waits (up to 5 s) for workers to stop between tokens, then ends them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) this.finish(j, new HttpError(503, 'The server is shutting down.', 'server_error'));
    for (const s of this.slots) if (s.job) s.worker.postMessage({ type: 'abort', id: s.job.id } satisfies ToWorker);
    // Terminating a worker inside a native kernel can crash the process: let running jobs see the abort first.
    const end = Date.now() + 5000;
    while (this.slots.some((s) => s.job) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.workers].map((w) => w.terminate()));
    this.slots = [];
  }
}
