import type { MemoryRecord } from '../../models/memory-record.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
import { unpackPayload } from '../payload-codec.js';
import type { StoredSession } from '../port.js';
import { iso, isoOrNull, json, parseJson } from './codec.js';

export interface SessionRow {
  pk: number;
  session_id: string;
  namespace: string | null;
  user_id: string | null;
  context: string | null;
  data: string;
  memories: string;
  tokens: number;
  ttl_seconds: number | null;
  expires_at: number | null;
  long_term_memory_strategy: string;
  created_at: number;
  updated_at: number;
  last_accessed: number;
  version: number;
}

export interface MessageRow {
  id: string;
  role: MemoryMessage['role'];
  /** As `packText` left it. */
  content: string | Uint8Array;
  created_at: number;
  persisted_at: number | null;
  discrete_memory_extracted: MemoryMessage['discrete_memory_extracted'];
}

export const isExpired = (row: { expires_at: number | null }, now: number) =>
  row.expires_at !== null && row.expires_at <= now;

export const expiresAt = (ttlSeconds: number | null | undefined, now: number): number | null =>
  ttlSeconds == null ? null : now + ttlSeconds * 1000;

/** The columns a write replaces (everything but identity, created_at and version). */
export function sessionValues(s: WorkingMemory, now: number) {
  return {
    context: s.context ?? null,
    data: json(s.data ?? {}),
    memories: json(s.memories ?? []),
    tokens: s.tokens ?? 0,
    ttl_seconds: s.ttl_seconds ?? null,
    expires_at: expiresAt(s.ttl_seconds, now),
    long_term_memory_strategy: json(s.long_term_memory_strategy ?? { strategy: 'discrete', config: {} }),
    updated_at: now,
    last_accessed: now,
  };
}

/** A message as stored: an unparseable or missing time becomes the write time. */
export function messageValues(m: MemoryMessage, now: number) {
  const created = Date.parse(m.created_at);
  const persisted = m.persisted_at == null ? Number.NaN : Date.parse(m.persisted_at);
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    created_at: Number.isNaN(created) ? now : created,
    persisted_at: Number.isNaN(persisted) ? now : persisted,
    discrete_memory_extracted: m.discrete_memory_extracted ?? 'f',
  };
}

export function rowToMessage(r: MessageRow): MemoryMessage {
  return {
    id: r.id,
    role: r.role,
    content: unpackPayload(r.content),
    created_at: iso(r.created_at),
    persisted_at: isoOrNull(r.persisted_at),
    discrete_memory_extracted: r.discrete_memory_extracted,
  };
}

export function rowToSession(r: SessionRow, messages: MemoryMessage[], total: number): StoredSession {
  return {
    session_id: r.session_id,
    namespace: r.namespace,
    user_id: r.user_id,
    messages,
    memories: parseJson<MemoryRecord[]>(r.memories),
    context: r.context,
    data: parseJson(r.data),
    tokens: r.tokens,
    ttl_seconds: r.ttl_seconds,
    long_term_memory_strategy: parseJson(r.long_term_memory_strategy),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    last_accessed: iso(r.last_accessed),
    version: r.version,
    total_messages: total,
    expires_at: r.expires_at,
  };
}
