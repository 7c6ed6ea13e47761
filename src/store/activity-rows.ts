import type { MemoryRecord } from '../models/memory-record.js';
import { unpackPayload } from './payload-codec.js';
import type { StoredActivity } from './port.js';

/** An activity row as both SQL stores keep it: the columns filters use, and the rest as one JSON body. */
export interface ActivityRow {
  seq: number;
  at: number;
  action: string;
  resource: string;
  target_id: string;
  namespace: string | null;
  user_id: string | null;
  session_id: string | null;
  actor: string;
  /** JSON text, or (SQLite) packed by payload-codec.ts. */
  body: string | Uint8Array;
}

export interface ActivityBody {
  before: MemoryRecord | null;
  after: MemoryRecord | null;
  details: Record<string, unknown>;
}

export const toStored = (r: ActivityRow): StoredActivity => {
  const body = JSON.parse(unpackPayload(r.body)) as ActivityBody;
  return {
    seq: r.seq,
    at: r.at,
    action: r.action as StoredActivity['action'],
    resource: r.resource as StoredActivity['resource'],
    target_id: r.target_id,
    namespace: r.namespace,
    user_id: r.user_id,
    session_id: r.session_id,
    actor: r.actor,
    before: body.before,
    after: body.after,
    details: body.details,
  };
};
