// Prometheus metrics, hand-written (text exposition format 0.0.4): request counts by route and status,
// latency histograms by route, prompt/completion tokens by model, queue depth, cancelled generations.
// Not a general client library: just the few series the server records.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function labelStr(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Counter {
  private values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Record<string, string>, by = 1): void {
    const k = labelStr(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Record<string, string>): number {
    return this.values.get(labelStr(labels)) ?? 0;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) out.push(`${this.name}${k} ${v}`);
    return out;
  }
}

class Histogram {
  private series = new Map<string, { labels: Record<string, string>; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string) {}
  observe(labels: Record<string, string>, value: number): void {
    const k = labelStr(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (value <= b) s!.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) => out.push(`${this.name}_bucket${labelStr({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelStr({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelStr(s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${labelStr(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export interface Gauges {
  queueDepth(): number;
  active(): number;
  cancelled(): number;
}

/** The server's metrics; one per app. */
export class Metrics {
  readonly requests = new Counter('bertchat_http_requests_total', 'HTTP requests by route, method and status.');
  readonly latency = new Histogram('bertchat_http_request_duration_seconds', 'Time from request to the end of the response, by route.');
  readonly promptTokens = new Counter('bertchat_prompt_tokens_total', 'Prompt (input) tokens processed, by model.');
  readonly completionTokens = new Counter('bertchat_completion_tokens_total', 'Tokens generated, by model.');
  readonly timeToFirstToken = new Histogram('bertchat_time_to_first_token_seconds', 'Time from request to the first generated text, by model.');

  constructor(private readonly gauges: Gauges) {}

  /** The exposition text for GET /metrics. */
  render(): string {
    const gauge = (name: string, help: string, v: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`];
    return [
      ...this.requests.render(),
      ...this.latency.render(),
      ...this.promptTokens.render(),
      ...this.completionTokens.render(),
      ...this.timeToFirstToken.render(),
      ...gauge('bertchat_queue_depth', 'Requests waiting for a model worker.', this.gauges.queueDepth()),
      ...gauge('bertchat_active_jobs', 'Requests running on a model worker.', this.gauges.active()),
      `# HELP bertchat_cancelled_total Jobs cancelled because the client went away.`,
      `# TYPE bertchat_cancelled_total counter`,
      `bertchat_cancelled_total ${this.gauges.cancelled()}`,
      '',
    ].join('\n');
  }
}
