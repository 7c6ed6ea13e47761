/** Errors a caller can act on. Transports map `status` to HTTP codes and MCP `isError` results. */
export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'unavailable'
  | 'forbidden'
  | 'unauthorized';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** An HTTP precondition (If-Match, If-None-Match) that does not hold. */
  precondition: 412,
  unavailable: 503,
};

export class MemoryError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = 'MemoryError';
    this.kind = kind;
    this.status = STATUS[kind];
  }
}

export const invalid = (message: string) => new MemoryError('invalid', message);
export const notFound = (message: string) => new MemoryError('not_found', message);
export const conflict = (message: string) => new MemoryError('conflict', message);

/** Turns a zod error into one line per problem, naming the path, so a person can fix the call. */
export function describeZodIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}
