/**
 * What a failed call to the REST API throws: one class per kind of answer, so callers branch with `instanceof`
 * (or on `kind`) instead of parsing status codes. `detail` is the server's own message (`{"detail": ...}`).
 */

export type ApiErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'server'
  | 'connection';

export interface ApiErrorInit {
  status: number;
  detail: string;
  method: string;
  path: string;
  /** The parsed body, when the server sent JSON. */
  body?: unknown;
  /** Retry-After of a 429 or 503, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class MemoryApiError extends Error {
  readonly kind: ApiErrorKind;
  /** The HTTP status; 0 when no answer arrived (MemoryConnectionError). */
  readonly status: number;
  readonly detail: string;
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly retryAfterMs: number | undefined;

  constructor(kind: ApiErrorKind, init: ApiErrorInit) {
    const where = `${init.method} ${init.path}`;
    super(init.status ? `${where} → ${init.status}: ${init.detail}` : `${where}: ${init.detail}`, {
      cause: init.cause,
    });
    this.name = new.target.name;
    this.kind = kind;
    this.status = init.status;
    this.detail = init.detail;
    this.method = init.method;
    this.path = init.path;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 400 or 422: the request names a bad field (the detail says which) or cannot be carried out as given. */
export class MemoryValidationError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super(init.status === 413 ? 'too_large' : 'invalid', init);
  }
}

/** 401 (no or bad token) or 403 (the token may not do this). */
export class MemoryAuthError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super(init.status === 401 ? 'unauthorized' : 'forbidden', init);
  }
}

export class MemoryNotFoundError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('not_found', init);
  }
}

/** 409: a body `version` that is not the stored one, or an id that is taken. */
export class MemoryConflictError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('conflict', init);
  }
}

/** 412: If-Match names a version the session has moved past (read again, merge, retry), or If-None-Match failed. */
export class MemoryPreconditionError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('precondition', init);
  }
}

/** 429, after the client's own retries ran out. */
export class MemoryRateLimitError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('rate_limited', init);
  }
}

/** 503: the server lacks something (an LLM, a writable store) or timed out; the detail says which. */
export class MemoryUnavailableError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('unavailable', init);
  }
}

/** Any other 5xx. */
export class MemoryServerError extends MemoryApiError {
  constructor(init: ApiErrorInit) {
    super('server', init);
  }
}

/** No answer: the server is not reachable, the connection dropped, or the request timed out. */
export class MemoryConnectionError extends MemoryApiError {
  constructor(init: Omit<ApiErrorInit, 'status'>) {
    super('connection', { ...init, status: 0 });
  }
}

/** The error for an HTTP answer that is not a success. */
export function errorForStatus(init: ApiErrorInit): MemoryApiError {
  const s = init.status;
  if (s === 400 || s === 413 || s === 415 || s === 422) return new MemoryValidationError(init);
  if (s === 401 || s === 403) return new MemoryAuthError(init);
  if (s === 404) return new MemoryNotFoundError(init);
  if (s === 409) return new MemoryConflictError(init);
  if (s === 412) return new MemoryPreconditionError(init);
  if (s === 429) return new MemoryRateLimitError(init);
  if (s === 503) return new MemoryUnavailableError(init);
  if (s >= 500) return new MemoryServerError(init);
  return new MemoryApiError('invalid', init);
}
