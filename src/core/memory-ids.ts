import { createHash } from 'node:crypto';
import type { MemoryRecord } from '../models/memory-record.js';

/**
 * Memory ids are global (the AMS wire contract: GET /v1/long-term-memory/{id} names no namespace), yet a caller
 * confined to namespace N must be able to use any id without learning whether another namespace holds it. So an
 * id that another namespace already holds is stored, for N, under its qualified form `id + U+001F + tag(N)`, and
 * callers confined to N see and name it as plain `id`. Confined callers may not send U+001F, so no id they choose
 * can look qualified; unconfined callers (admins, stdio) see the stored ids as they are.
 */
export const QUALIFIER_MARK = '\u001f';

export const qualifierOf = (namespace: string | null): string =>
  QUALIFIER_MARK +
  createHash('sha256')
    .update(namespace ?? '')
    .digest('hex')
    .slice(0, 12);

export const qualifiedId = (id: string, namespace: string | null) => id + qualifierOf(namespace);

export type Placement = { stored: string; existing?: MemoryRecord } | { refused: true };

/**
 * Where each id a writer of `namespace` names is stored: its qualified form when that one is the writer's already,
 * or when the plain id belongs to someone else; else the plain id. Refused only when both forms belong to others
 * (two users of one namespace both reusing an id another namespace holds).
 */
export async function placeIds(
  getMemories: (ids: string[]) => Promise<MemoryRecord[]>,
  ids: string[],
  namespace: string | null,
  owns: (r: MemoryRecord) => boolean,
): Promise<Map<string, Placement>> {
  const unique = [...new Set(ids)];
  const found = new Map(
    (await getMemories([...unique, ...unique.map((id) => qualifiedId(id, namespace))])).map((r) => [r.id, r]),
  );
  const out = new Map<string, Placement>();
  for (const id of unique) {
    const plain = found.get(id);
    const qualified = found.get(qualifiedId(id, namespace));
    if (qualified) out.set(id, owns(qualified) ? { stored: qualified.id, existing: qualified } : { refused: true });
    else if (plain && !owns(plain)) out.set(id, { stored: qualifiedId(id, namespace) });
    else out.set(id, { stored: id, ...(plain ? { existing: plain } : {}) });
  }
  return out;
}

/** The ids a reader of `namespace` means by `ids`: the qualified form where it is the reader's, else the plain id. */
export async function resolveIds(
  getMemories: (ids: string[]) => Promise<MemoryRecord[]>,
  ids: string[],
  namespace: string | null,
  owns: (r: MemoryRecord) => boolean,
): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const own = new Set(
    (await getMemories(unique.map((id) => qualifiedId(id, namespace)))).filter(owns).map((r) => r.id),
  );
  return new Map(unique.map((id) => [id, own.has(qualifiedId(id, namespace)) ? qualifiedId(id, namespace) : id]));
}

/** `value` with the qualifier of `namespace` removed from every string in it, as a reader of that namespace sees it. */
export function unqualify<T>(value: T, namespace: string | null): T {
  const tag = qualifierOf(namespace);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes(QUALIFIER_MARK) ? v.replaceAll(tag, '') : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
