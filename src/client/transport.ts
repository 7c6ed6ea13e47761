import { z } from 'zod';
import { errorForStatus, type MemoryApiError, MemoryConnectionError } from './errors.js';

export const ClientOptions = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL such as http://127.0.0.1:8000' })
    .describe('Where `agent-memory api` listens, e.g. http://127.0.0.1:8000 (a trailing /v1 is accepted).'),
  token: z.string().min(1).optional().describe('An agent-memory token or an OAuth2 access token (Bearer).'),
  namespace: z.string().min(1).optional().describe('Namespace used by calls that name none.'),
  userId: z.string().min(1).optional().describe('User used by calls that name none.'),
  retries: z.number().int().min(0).max(10).default(3).describe('Retries of a 429, 503 or dropped connection.'),
  retryBaseMs: z.number().min(0).max(60_000).default(250).describe('First backoff; doubles on each retry.'),
  retryMaxMs: z.number().min(0).max(600_000).default(8_000).describe('Longest wait between retries.'),
  timeoutMs: z.number().int().positive().max(3_600_000).default(30_000).describe('Per attempt.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with every request.'),
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function', 'fetch must be a function').optional(),
});
export type ClientOptionsInput = z.input<typeof ClientOptions>;
type Settings = z.output<typeof ClientOptions>;

type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string | undefined>;
  /**
   * Whether sending it twice is harmless. A 429 is always retried (the server refused it before doing anything);
   * a 503 or a dropped connection only when idempotent, since the first attempt may have done its work.
   */
  idempotent: boolean;
  signal?: AbortSignal;
  /** Expect text (Prometheus metrics) rather than JSON. */
  text?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export class Transport {
  readonly settings: Settings;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptionsInput) {
    const parsed = ClientOptions.safeParse(options);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new TypeError(`agent-memory client options: ${first?.path.join('.') || 'options'}: ${first?.message}`);
    }
    this.settings = parsed.data;
    this.base = parsed.data.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.fetchImpl = parsed.data.fetch ?? globalThis.fetch;
  }

  url(path: string, query?: Query): string {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
      else url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  headers(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const out: Record<string, string> = { Accept: 'application/json', ...this.settings.headers };
    if (this.settings.token) out.Authorization = `Bearer ${this.settings.token}`;
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
    return out;
  }

  async request<T>(spec: RequestSpec): Promise<ApiResponse<T>> {
    const { retries } = this.settings;
    for (let attempt = 0; ; attempt++) {
      let failure: MemoryApiError;
      try {
        return await this.once<T>(spec);
      } catch (err) {
        if (!(err instanceof Error) || !('kind' in err)) throw err;
        failure = err as MemoryApiError;
      }
      const retryable =
        failure.kind === 'rate_limited' ||
        (spec.idempotent && (failure.kind === 'unavailable' || failure.kind === 'connection'));
      if (!retryable || attempt >= retries || spec.signal?.aborted) throw failure;
      await sleep(this.backoff(attempt, failure.retryAfterMs), spec.signal);
    }
  }

  /** Full jitter under an exponential ceiling; the server's Retry-After wins when it asks for longer. */
  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const { retryBaseMs, retryMaxMs } = this.settings;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** attempt);
    const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
    return Math.min(retryMaxMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  private async once<T>(spec: RequestSpec): Promise<ApiResponse<T>> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const hasBody = spec.body !== undefined;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(spec.path, spec.query), {
        method: spec.method,
        headers: this.headers({ ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...spec.headers }),
        body: hasBody ? JSON.stringify(spec.body) : undefined,
        signal,
      });
    } catch (err) {
      if (spec.signal?.aborted) throw err;
      const detail = timeout.aborted
        ? `no answer within ${this.settings.timeoutMs} ms`
        : `cannot reach ${this.base}: ${describeCause(err)}`;
      throw new MemoryConnectionError({ detail, method: spec.method, path: spec.path, cause: err });
    }
    const raw = await res.text();
    let body: unknown = raw;
    if (!spec.text || !res.ok) {
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        if (res.ok) {
          throw new MemoryConnectionError({
            detail: `the answer is not JSON (is ${this.base} an agent-memory server?): ${raw.slice(0, 120)}`,
            method: spec.method,
            path: spec.path,
          });
        }
      }
    }
    if (res.ok) return { status: res.status, headers: res.headers, body: body as T };
    throw errorForStatus({
      status: res.status,
      detail: detailOf(body, res.statusText),
      method: spec.method,
      path: spec.path,
      body,
      retryAfterMs: retryAfter(res.headers.get('retry-after')),
    });
  }
}

/** `{detail}` (ours and the reference server's), FastAPI's list form, or the raw text. */
function detailOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object' && 'detail' in body) {
    const d = (body as { detail: unknown }).detail;
    return typeof d === 'string' ? d : JSON.stringify(d);
  }
  if (typeof body === 'string' && body) return body.slice(0, 500);
  return fallback || 'request failed';
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
