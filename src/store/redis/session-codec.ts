import type { MemoryRecord } from '../../models/memory-record.js';
import type { MemoryMessage } from '../../models/message.js';
import type { SessionKey, StoredSession } from '../port.js';
import { messageValues } from '../sqlite/session-rows.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A message as the list stores it: the same normalisation as SQLite (times re-serialised, defaults filled). */
export function encodeMessage(m: MemoryMessage, now: number): [id: string, json: string] {
  const v = messageValues(m, now);
  const stored: MemoryMessage = {
    id: v.id,
    role: v.role,
    content: v.content,
    created_at: iso(v.created_at),
    persisted_at: iso(v.persisted_at),
    discrete_memory_extracted: v.discrete_memory_extracted,
  };
  return [v.id, JSON.stringify(stored)];
}

/** HGETALL's flat [field, value, …] as an object. */
export function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

const num = (v: string | undefined): number | null => (v === undefined ? null : Number(v));

/** The read reply of the session scripts: [hash fields, total messages, message window]. */
export type SessionReply = [string[], number, string[]];

export function decodeSession(key: SessionKey, reply: SessionReply): StoredSession {
  const [flat, total, messages] = reply;
  const h = pairs(flat);
  return {
    session_id: key.session_id,
    namespace: key.namespace,
    user_id: key.user_id,
    messages: messages.map((m) => JSON.parse(m) as MemoryMessage),
    memories: JSON.parse(h.memories ?? '[]') as MemoryRecord[],
    context: h.context ?? null,
    data: JSON.parse(h.data ?? '{}') as Record<string, unknown>,
    tokens: Number(h.tokens ?? 0),
    ttl_seconds: num(h.ttl_seconds),
    long_term_memory_strategy: JSON.parse(h.long_term_memory_strategy ?? '{}'),
    created_at: iso(Number(h.created_at)),
    updated_at: iso(Number(h.updated_at)),
    last_accessed: iso(Number(h.last_accessed)),
    version: Number(h.version ?? 0),
    total_messages: Number(total),
    expires_at: num(h.expires_at),
  };
}
