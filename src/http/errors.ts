import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AuthFailure } from '../auth/authenticator.js';
import { describeZodIssues, MemoryError } from '../errors.js';
import { log } from '../util/log.js';

/** Every error body is `{detail}` as in the reference server, so its clients show our messages unchanged. */
export const detail = (c: Context, status: ContentfulStatusCode, message: string, headers?: Record<string, string>) =>
  c.json({ detail: message }, status, headers);

/** WWW-Authenticate for a 401: in OAuth2 mode it points MCP clients at the protected-resource metadata. */
export type ChallengeFor = (c: Context, failure: AuthFailure) => string;

const MEDIA_TYPE_HINT = 'Unsupported Media Type: send the body as JSON with the header Content-Type: application/json.';

export function errorHandler(challenge: ChallengeFor): ErrorHandler {
  return (err, c) => {
    if (err instanceof MemoryError) return detail(c, err.status as ContentfulStatusCode, err.message);
    if (err instanceof AuthFailure) {
      const headers: Record<string, string> = { 'WWW-Authenticate': challenge(c, err) };
      return detail(c, err.status, err.message, err.status === 401 ? headers : undefined);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const message = status === 415 ? MEDIA_TYPE_HINT : err.message || 'Bad request';
      return detail(c, status, message);
    }
    log.error('HTTP request failed', {
      method: c.req.method,
      path: c.req.path,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    return detail(c, 500, 'Internal server error; the server log has the details.');
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  detail(c, 404, `No route ${c.req.method} ${c.req.path}. The API is described at /openapi.json and /docs.`);

/**
 * The validation hook of every REST route: a 422 (as FastAPI answers the reference server's clients) whose
 * detail names each bad field, prefixed with where it was (body, query, path).
 */
export function validationHook(
  result:
    | { success: true }
    | {
        success: false;
        error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
        target?: string;
      },
  c: Context,
) {
  if (result.success) return;
  const where = result.target === 'json' ? 'body' : result.target === 'param' ? 'path' : (result.target ?? 'request');
  return detail(c, 422, `Invalid ${where}: ${describeZodIssues(result.error.issues)}`);
}
