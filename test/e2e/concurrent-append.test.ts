/**
 * The acceptance test: 16 server processes on one SQLite file append to the same session at the same time, and
 * every message lands exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, connectMcp, isAlive, makeTempStore } from '../helpers/spawn.js';

const SERVERS = 16;
const PER_SERVER = 50;
const SESSION = 'shared-session';

const store = makeTempStore();
afterAll(cleanup);

interface AppendOut {
  session_id: string;
  appended: number;
  total_messages: number;
  version: number;
}

const idOf = (server: number, i: number) => `s${String(server).padStart(2, '0')}-m${String(i).padStart(3, '0')}`;

describe('concurrent append_messages from 16 server processes', () => {
  it('lands all 800 messages exactly once, each batch contiguous and in order', { timeout: 180_000 }, async () => {
    // All 16 start at once on a file that does not exist yet: racing to create the schema is part of the test.
    // allSettled: a failed start must not leave the other starts running past the cleanup.
    const started = await Promise.allSettled(Array.from({ length: SERVERS }, () => connectMcp(store.env())));
    expect(started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(new Set(servers.map((s) => s.pid)).size).toBe(SERVERS);

    const sent = servers.map((_, s) =>
      Array.from({ length: PER_SERVER }, (_, i) => ({
        id: idOf(s, i),
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: `message ${i} from server ${s}`,
      })),
    );
    const results = await Promise.all(
      servers.map((srv, s) => srv.ok<AppendOut>('append_messages', { session_id: SESSION, messages: sent[s] })),
    );

    for (const r of results) {
      expect(r.session_id).toBe(SESSION);
      expect(r.appended).toBe(PER_SERVER);
      // Each append is atomic: no reader ever sees part of a batch.
      expect(r.total_messages % PER_SERVER).toBe(0);
      expect(r.total_messages).toBeGreaterThanOrEqual(PER_SERVER);
      expect(r.total_messages).toBeLessThanOrEqual(SERVERS * PER_SERVER);
    }
    expect(Math.max(...results.map((r) => r.total_messages))).toBe(SERVERS * PER_SERVER);

    const wm = await servers[0]!.ok<{
      messages: { id: string; content: string }[];
      total_messages: number;
    }>('get_working_memory', { session_id: SESSION });
    const ids = wm.messages.map((m) => m.id);
    expect(wm.total_messages).toBe(SERVERS * PER_SERVER);
    expect(ids).toHaveLength(SERVERS * PER_SERVER);
    expect(new Set(ids).size).toBe(ids.length);
    const expected = sent.flat().map((m) => m.id);
    expect([...ids].sort()).toEqual([...expected].sort());
    const byId = new Map(wm.messages.map((m) => [m.id, m.content]));
    for (const m of sent.flat()) expect(byId.get(m.id)).toBe(m.content);

    // Appends are serialized in commit order: each server's 50 messages form one run, in the order sent.
    for (let s = 0; s < SERVERS; s++) {
      const start = ids.indexOf(idOf(s, 0));
      expect(ids.slice(start, start + PER_SERVER)).toEqual(sent[s]!.map((m) => m.id));
    }

    // Every server survived, and a server started afterwards sees the same session.
    for (const srv of servers) {
      expect(isAlive(srv.pid)).toBe(true);
      expect(srv.errors).toEqual([]);
    }
    await Promise.all(servers.map((s) => s.close()));
    const fresh = await connectMcp(store.env());
    const again = await fresh.ok<{ messages: { id: string }[] }>('get_working_memory', { session_id: SESSION });
    expect(again.messages.map((m) => m.id)).toEqual(ids);
  });
});
