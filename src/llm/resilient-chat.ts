import { MemoryError } from '../errors.js';
import { log } from '../util/log.js';
import { type ChatModel, type ChatRequest, ChatRequestError, type ChatResult } from './chat-model.js';
import { recordLlmUsage } from './usage.js';

/** Counts requests in flight; FIFO so a burst of background work cannot starve a waiting request forever. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active -= 1;
    };
  }
}

export interface ResilienceOptions {
  maxRetries: number;
  limiter: Semaphore;
  /** First backoff; doubled per attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a provider adapter with what every provider needs: a per-process concurrency limit, retries with
 * exponential backoff on transient failures (honouring Retry-After), usage counters and a usage log line.
 * Failures come out as MemoryError('unavailable') with the provider's (redacted) reason.
 */
export class ResilientChat implements ChatModel {
  constructor(
    private readonly inner: ChatModel,
    private readonly opts: ResilienceOptions,
  ) {}

  get provider() {
    return this.inner.provider;
  }

  get model() {
    return this.inner.model;
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const base = this.opts.baseDelayMs ?? 500;
    const cap = this.opts.maxDelayMs ?? 20_000;
    for (let attempt = 0; ; attempt++) {
      const release = await this.opts.limiter.acquire();
      const started = Date.now();
      try {
        const result = await this.inner.complete(req);
        recordLlmUsage(this.provider, this.model, { kind: 'success', ...result.usage });
        log.info('llm call', {
          provider: this.provider,
          model: this.model,
          purpose: req.purpose ?? 'chat',
          input_tokens: result.usage.inputTokens,
          output_tokens: result.usage.outputTokens,
          ms: Date.now() - started,
        });
        return result;
      } catch (err) {
        const failure =
          err instanceof ChatRequestError
            ? err
            : new ChatRequestError(err instanceof Error ? err.message : String(err), false);
        if (!failure.retryable || attempt >= this.opts.maxRetries) {
          recordLlmUsage(this.provider, this.model, { kind: 'failure' });
          const tries = attempt + 1;
          throw new MemoryError('unavailable', `${failure.message}${tries > 1 ? ` (after ${tries} attempts)` : ''}`);
        }
        recordLlmUsage(this.provider, this.model, { kind: 'retry' });
        const backoff = Math.min(cap, base * 2 ** attempt) * (0.5 + Math.random() / 2);
        const delay = Math.min(cap, failure.retryAfterMs ?? backoff);
        log.warn('llm call failed, retrying', {
          model: this.model,
          purpose: req.purpose ?? 'chat',
          status: failure.status,
          attempt: attempt + 1,
          delay_ms: Math.round(delay),
        });
        release();
        await sleep(delay);
      } finally {
        release();
      }
    }
  }
}
