/**
 * In-process LLM usage counters, per provider and model, for logs and for `/metrics` (read them with `llmUsage()`).
 * Process-wide on purpose: several engines in one process share one provider bill.
 */
export interface ModelUsage {
  provider: string;
  model: string;
  /** Calls that returned a reply. */
  requests: number;
  /** Calls that failed for good (after retries). */
  failures: number;
  /** Extra attempts after transient failures (429, 5xx, timeouts). */
  retries: number;
  /** Replies that were not the JSON asked for. */
  malformed_replies: number;
  input_tokens: number;
  output_tokens: number;
}

const usage = new Map<string, ModelUsage>();

function entry(provider: string, model: string): ModelUsage {
  const key = `${provider}\u0000${model}`;
  let u = usage.get(key);
  if (!u) {
    u = {
      provider,
      model,
      requests: 0,
      failures: 0,
      retries: 0,
      malformed_replies: 0,
      input_tokens: 0,
      output_tokens: 0,
    };
    usage.set(key, u);
  }
  return u;
}

export type UsageEvent =
  | { kind: 'success'; inputTokens: number; outputTokens: number }
  | { kind: 'failure' }
  | { kind: 'retry' }
  | { kind: 'malformed' };

export function recordLlmUsage(provider: string, model: string, event: UsageEvent): void {
  const u = entry(provider, model);
  switch (event.kind) {
    case 'success':
      u.requests += 1;
      u.input_tokens += event.inputTokens;
      u.output_tokens += event.outputTokens;
      break;
    case 'failure':
      u.failures += 1;
      break;
    case 'retry':
      u.retries += 1;
      break;
    case 'malformed':
      u.malformed_replies += 1;
      break;
  }
}

/** A snapshot of every counter, one row per provider and model. */
export function llmUsage(): ModelUsage[] {
  return [...usage.values()].map((u) => ({ ...u }));
}

/** For tests. */
export function resetLlmUsage(): void {
  usage.clear();
}
