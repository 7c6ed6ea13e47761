import { type ClientContext, scopeOf } from './context.js';
import { errorForStatus, MemoryConnectionError } from './errors.js';
import { byCursor } from './paging.js';
import { sleep } from './transport.js';
import type { ActivityEvent, ActivityPage, ActivityQuery } from './types.js';

export interface FollowOptions {
  /** Resume after this event id (what `follow` last yielded); without it the stream starts with the next event. */
  lastEventId?: string;
  /** Stops the stream; the loop then ends without an error. */
  signal?: AbortSignal;
  /** Reconnections in a row before giving up (default 10); a reconnection resumes after the last event seen. */
  reconnects?: number;
}

/** The activity stream: every write with its actor, newest first, paged or live. */
export class ActivityApi {
  constructor(private readonly ctx: ClientContext) {}

  async list(query: ActivityQuery & { cursor?: string } = {}): Promise<ActivityPage> {
    const { body } = await this.ctx.transport.request<ActivityPage>({
      method: 'GET',
      path: '/v1/activity',
      query: this.query(query),
      idempotent: true,
    });
    return body;
  }

  /** Every event the query keeps, newest first. */
  iterate(query: ActivityQuery = {}) {
    return byCursor<ActivityEvent>(async (cursor) => {
      const page = await this.list({ ...query, cursor });
      return { items: page.events, next: page.next_cursor };
    });
  }

  /**
   * New events as they happen (Server-Sent Events). A dropped connection is reopened with the last event id, so no
   * event is missed or repeated; an answer the server refuses (bad query, token) is thrown.
   */
  async *follow(query: Omit<ActivityQuery, 'limit'> = {}, opts: FollowOptions = {}): AsyncGenerator<ActivityEvent> {
    const { transport } = this.ctx;
    let lastId = opts.lastEventId;
    let failures = 0;
    const path = '/v1/activity/stream';
    while (!opts.signal?.aborted) {
      let res: Response;
      try {
        res = await (transport.settings.fetch ?? fetch)(transport.url(path, this.query(query)), {
          headers: transport.headers({ Accept: 'text/event-stream', 'Last-Event-ID': lastId }),
          signal: opts.signal,
        });
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (++failures > (opts.reconnects ?? 10)) {
          throw new MemoryConnectionError({ detail: String(err), method: 'GET', path, cause: err });
        }
        await sleep(Math.min(transport.settings.retryMaxMs, transport.settings.retryBaseMs * 2 ** failures));
        continue;
      }
      if (!res.ok || !res.body) {
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        const detail = (body as { detail?: string })?.detail ?? text;
        throw errorForStatus({ status: res.status, detail, method: 'GET', path, body });
      }
      try {
        for await (const event of sseEvents(res.body)) {
          failures = 0;
          if (event.event !== 'activity') continue;
          if (event.id) lastId = event.id;
          yield JSON.parse(event.data) as ActivityEvent;
        }
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (++failures > (opts.reconnects ?? 10)) throw err;
      }
    }
  }

  private query(q: ActivityQuery & { cursor?: string }) {
    const action = Array.isArray(q.action) ? q.action.join(',') : q.action;
    return { ...q, action, ...scopeOf(this.ctx, q) } as Record<string, string | number | undefined>;
  }
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** The events of an SSE body (event, id, data lines; comments and retry hints skipped). */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let current: Partial<SseEvent> & { data?: string } = {};
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
      if (line === '') {
        if (current.data !== undefined) {
          yield { event: current.event ?? 'message', id: current.id, data: current.data };
        }
        current = {};
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
      else if (field === 'event') current.event = value;
      else if (field === 'id') current.id = value;
    }
  }
}
