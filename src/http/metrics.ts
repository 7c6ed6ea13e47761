import type { ModelUsage } from '../llm/usage.js';

/**
 * Prometheus text exposition, kept in-process: a few counters and histograms need no client library.
 * Route labels are route patterns (`/v1/long-term-memory/:memory_id`), never raw paths, so cardinality stays fixed.
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1) {
    const key = labelText(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels, value: by });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number) {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class Metrics {
  readonly httpRequests = new Counter('agent_memory_http_requests_total', 'HTTP requests by method, route and status.');
  readonly httpLatency = new Histogram(
    'agent_memory_http_request_duration_seconds',
    'HTTP request latency by method and route.',
  );
  readonly toolCalls = new Counter('agent_memory_mcp_tool_calls_total', 'MCP tool calls by tool and outcome.');
  readonly toolLatency = new Histogram('agent_memory_mcp_tool_duration_seconds', 'MCP tool call latency by tool.');

  recordRequest(method: string, route: string, status: number, seconds: number) {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpLatency.observe({ method, route }, seconds);
  }

  recordToolCall(tool: string, outcome: 'ok' | 'error', seconds: number) {
    this.toolCalls.inc({ tool, outcome });
    this.toolLatency.observe({ tool }, seconds);
  }

  /**
   * The exposition text; `sampled` values are read at scrape time (store sizes, open MCP sessions, LLM usage).
   * Samples of one name must be adjacent (one metric family).
   */
  render(sampled: Sample[]): string {
    const lines = [
      ...this.httpRequests.render(),
      ...this.httpLatency.render(),
      ...this.toolCalls.render(),
      ...this.toolLatency.render(),
    ];
    const seen = new Set<string>();
    for (const g of sampled) {
      if (!seen.has(g.name)) {
        lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type ?? 'gauge'}`);
        seen.add(g.name);
      }
      lines.push(`${g.name}${labelText(g.labels ?? {})} ${g.value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** A value read at scrape time; `counter` for totals kept elsewhere (the process-wide LLM usage). */
export interface Sample {
  name: string;
  help: string;
  value: number;
  labels?: Labels;
  type?: 'gauge' | 'counter';
}

const LLM_COUNTERS: [field: Exclude<keyof ModelUsage, 'provider' | 'model'>, name: string, help: string][] = [
  ['requests', 'agent_memory_llm_requests_total', 'LLM calls that returned a reply, by provider and model.'],
  [
    'failures',
    'agent_memory_llm_errors_total',
    'LLM calls that failed for good (after retries), by provider and model.',
  ],
  [
    'retries',
    'agent_memory_llm_retries_total',
    'Extra LLM attempts after transient failures (429, 5xx, timeouts), by provider and model.',
  ],
  [
    'malformed_replies',
    'agent_memory_llm_malformed_replies_total',
    'LLM replies that were not the JSON asked for, by provider and model.',
  ],
  [
    'input_tokens',
    'agent_memory_llm_prompt_tokens_total',
    'Prompt (input) tokens sent to LLMs, by provider and model.',
  ],
  [
    'output_tokens',
    'agent_memory_llm_completion_tokens_total',
    'Completion (output) tokens received from LLMs, by provider and model.',
  ],
];

/** The process-wide LLM usage counters (`llmUsage()`) as Prometheus counters labelled by provider and model. */
export function llmUsageSamples(usage: ModelUsage[]): Sample[] {
  return LLM_COUNTERS.flatMap(([field, name, help]) =>
    usage.map((u) => ({
      name,
      help,
      type: 'counter' as const,
      value: u[field],
      labels: { provider: u.provider, model: u.model },
    })),
  );
}
