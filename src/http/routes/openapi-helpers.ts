import type { z } from '@hono/zod-openapi';
import { ErrorBody } from '../schemas.js';

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

const err = (description: string) => jsonContent(ErrorBody, description);

/** Error answers every authenticated route may give; each body is `{detail}`. */
export const commonErrors = {
  401: err('Missing, unknown or expired token'),
  403: err('The token may not act on this namespace/user, or lacks the access level'),
  413: err('Body larger than HTTP_MAX_BODY_BYTES'),
  415: err('Body is not JSON'),
  422: err('The request does not match the schema; the detail names each bad field'),
  429: err('Rate limit exceeded; see Retry-After'),
} as const;
export const badRequest = { 400: err('The request is well-formed but cannot be carried out as given') } as const;
export const notFound = { 404: err('Not found') } as const;
export const conflict = { 409: err('Version or id conflict') } as const;
export const unavailable = {
  503: err('Needs something this server lacks (an LLM); the detail names the setting'),
} as const;
export const preconditionFailed = { 412: err('If-Match or If-None-Match does not hold') } as const;

/** Security requirement for the OpenAPI document (bearer token or JWT). */
export const bearerAuth = [{ bearerAuth: [] }];
