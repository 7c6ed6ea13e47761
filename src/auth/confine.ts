import { invalid, MemoryError } from '../errors.js';
import { type TagFilter, TagFilterInput } from '../models/filters.js';
import type { MemoryRecord } from '../models/memory-record.js';
import { type Access, type AccessScope, atLeast } from './identity.js';

/**
 * The confinement rules, in one place for REST and MCP: a scoped caller may only name its own namespace (and
 * user, when the scope has one); naming none means its own; anything else is a 403 that says what is allowed.
 */

const forbidden = (message: string) => new MemoryError('forbidden', message);

type Field = 'namespace' | 'user_id';

function scopeValue(scope: AccessScope, field: Field): string | null {
  return field === 'namespace' ? scope.namespace : (scope.user_id ?? null);
}

export function requireAccess(scope: AccessScope, need: Access, what: string): void {
  if (!atLeast(scope.access, need)) {
    throw forbidden(`${what} needs ${need} access; this token has ${scope.access} access.`);
  }
}

/**
 * Confines a plain value (a session's namespace, a memory's user_id). Values that are not strings are passed on
 * unchanged so the core rejects them with its own message; they can never widen the scope because the core
 * refuses them.
 */
export function confineValue<T>(scope: AccessScope, field: Field, value: T, where: string = field): T | string {
  const own = scopeValue(scope, field);
  if (own === null) return value;
  if (value === undefined || value === null) return own;
  if (typeof value !== 'string') return value;
  if (value.trim() !== own) {
    throw forbidden(`${where}: this token is confined to ${field} "${own}"; it cannot use "${value.trim()}".`);
  }
  return own;
}

const onlyOwn = (f: TagFilter, own: string) => {
  const values = [f.eq, ...(f.any ?? []), ...(f.all ?? [])].filter((v) => v !== undefined);
  return values.length > 0 && f.ne === undefined && f.startswith === undefined && values.every((v) => v === own);
};

/** Confines a search filter on namespace or user_id: absent becomes `{eq: own}`; only `own` may be named. */
export function confineFilter(scope: AccessScope, field: Field, raw: unknown): unknown {
  const own = scopeValue(scope, field);
  if (own === null) return raw;
  if (raw === undefined || raw === null) return { eq: own };
  const parsed = TagFilterInput.safeParse(raw);
  if (!parsed.success) throw invalid(`${field}: expected a string, a list of strings or {eq|ne|any|all|startswith}`);
  if (!onlyOwn(parsed.data, own)) {
    throw forbidden(
      `${field}: this token is confined to ${field} "${own}"; filter on {"eq": "${own}"} or leave it out.`,
    );
  }
  return { eq: own };
}

/** Confines both filter fields of a search-like object (other fields untouched). */
export function confineFilters<T>(scope: AccessScope, req: T): T {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return req;
  const r = req as Record<string, unknown>;
  const out: Record<string, unknown> = { ...r, namespace: confineFilter(scope, 'namespace', r.namespace) };
  if (scope.user_id) out.user_id = confineFilter(scope, 'user_id', r.user_id);
  if (out.namespace === undefined) delete out.namespace;
  return out as T;
}

/** Confines the namespace and user_id fields of a record-like object (a memory, a session body). */
export function confineFields<T>(scope: AccessScope, obj: T, where: string): T {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const o = obj as Record<string, unknown>;
  const out: Record<string, unknown> = { ...o };
  const ns = confineValue(scope, 'namespace', o.namespace, `${where}namespace`);
  if (ns !== undefined) out.namespace = ns;
  if (scope.user_id) out.user_id = confineValue(scope, 'user_id', o.user_id, `${where}user_id`);
  return out as T;
}

/** Whether a stored memory lies inside the scope (its namespace, and user when the scope has one). */
export function canSee(scope: AccessScope, record: Pick<MemoryRecord, 'namespace' | 'user_id'>): boolean {
  if (scope.namespace !== null && record.namespace !== scope.namespace) return false;
  if (scope.user_id && record.user_id !== scope.user_id) return false;
  return true;
}
