/**
 * Forgetting: the policy's selection against hand-computed cases, and the keyset scan it runs on, over real
 * stores (a SQLite file, and Redis when it has the search module).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import { type ForgetCandidate, forgetLongTermMemories, selectForForgetting } from '../../src/core/forget.js';
import { memoryPages } from '../../src/core/memory-pages.js';
import type { MemoryStore } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { filter, isoAt, mem, noFilter } from '../store/records.js';
import { freshStore, noRedis, noSearch } from '../store/redis-helpers.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

/** A memory created `age` days ago and last used `idle` days ago. */
const m = (id: string, age: number, idle: number, over: Partial<ForgetCandidate> = {}): ForgetCandidate => ({
  id,
  memory_type: 'semantic',
  pinned: false,
  createdMs: NOW - age * DAY,
  lastAccessedMs: NOW - idle * DAY,
  ...over,
});

describe('selectForForgetting', () => {
  const all = [
    m('fresh', 1, 1),
    m('old-used', 40, 2),
    m('old-idle', 40, 20),
    m('ancient-used', 400, 1),
    m('young-idle', 5, 20),
    m('old-pinned', 400, 400, { pinned: true }),
    m('old-episodic', 400, 400, { memory_type: 'episodic' }),
  ];

  it('max_age_days alone: created more than that many days ago, pinned excepted; oldest first, then by id', () => {
    expect(selectForForgetting(all, { max_age_days: 30 }, NOW)).toEqual([
      'ancient-used',
      'old-episodic',
      'old-idle',
      'old-used',
    ]);
  });

  it('max_inactive_days alone: not used for more than that many days', () => {
    expect(selectForForgetting(all, { max_inactive_days: 10 }, NOW)).toEqual([
      'old-episodic',
      'old-idle',
      'young-idle',
    ]);
  });

  it('both: old AND idle, or older than max_age x hard_age_multiplier even if used', () => {
    expect(selectForForgetting(all, { max_age_days: 30, max_inactive_days: 10 }, NOW)).toEqual([
      'ancient-used',
      'old-episodic',
      'old-idle',
    ]);
    // 400 days is not beyond 30 x 20: only old and idle.
    expect(selectForForgetting(all, { max_age_days: 30, max_inactive_days: 10, hard_age_multiplier: 20 }, NOW)).toEqual(
      ['old-episodic', 'old-idle'],
    );
  });

  it('memory_type_allowlist and pinned_ids keep what they exclude', () => {
    expect(selectForForgetting(all, { max_age_days: 30, memory_type_allowlist: ['episodic'] }, NOW)).toEqual([
      'old-episodic',
    ]);
    expect(selectForForgetting(all, { max_age_days: 30 }, NOW, new Set(['old-idle', 'ancient-used']))).toEqual([
      'old-episodic',
      'old-used',
    ]);
  });

  it('budget keeps the N best by recency (0.6 freshness over 7 days, 0.4 novelty over 30), forgets the rest', () => {
    const score = (c: ForgetCandidate) =>
      0.6 * 0.5 ** ((NOW - c.lastAccessedMs) / (7 * DAY)) + 0.4 * 0.5 ** ((NOW - c.createdMs) / (30 * DAY));
    const eligible = all.filter((c) => !c.pinned);
    const byHand = [...eligible].sort((a, b) => score(b) - score(a)).slice(3);
    const got = selectForForgetting(all, { budget: 3 }, NOW);
    expect(new Set(got)).toEqual(new Set(byHand.map((c) => c.id)));
    expect(got).toHaveLength(eligible.length - 3);
    expect(got).not.toContain('fresh');
    expect(selectForForgetting(all, { budget: 10 }, NOW)).toEqual([]);
    expect(selectForForgetting(all, { budget: 0 }, NOW)).toHaveLength(eligible.length);
  });

  it('budget counts only what the age and inactivity rules kept', () => {
    // max_age 30 forgets four; of fresh and young-idle, a budget of 1 keeps fresh.
    expect(selectForForgetting(all, { max_age_days: 30, budget: 1 }, NOW)).toEqual([
      'ancient-used',
      'old-episodic',
      'old-idle',
      'old-used',
      'young-idle',
    ]);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-forget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const stores: [string, () => Promise<MemoryStore>][] = [
  ['sqlite file', () => openSqliteStore({ path: join(dir, `f-${++files}.db`) })],
];

function scanBehaviour(open: () => Promise<MemoryStore>) {
  it('pages through every memory once, newest first, across a batch sharing one created_at', async () => {
    const store = await open();
    try {
      const items = [
        ...Array.from({ length: 7 }, (_, i) => mem({ id: `solo-${i}`, namespace: 'a', created_at: isoAt(NOW + i) })),
        // Twelve written together: more than a page at one instant.
        ...Array.from({ length: 12 }, (_, i) => mem({ id: `batch-${i}`, namespace: 'a', created_at: isoAt(NOW + 3) })),
        mem({ id: 'elsewhere', namespace: 'b', created_at: isoAt(NOW) }),
      ];
      await store.putMemories(items, { deduplicate: false });
      const seen: string[] = [];
      for await (const page of memoryPages(store, filter({ namespace: { eq: 'a' } }), 5)) {
        expect(page.length).toBeLessThanOrEqual(5);
        seen.push(...page.map((r) => r.id));
      }
      expect(seen).toHaveLength(19);
      expect(new Set(seen).size).toBe(19);
      expect(seen).not.toContain('elsewhere');
      const times = await store.getMemories(seen);
      const ms = times.map((r) => Date.parse(r.created_at));
      expect(ms).toEqual([...ms].sort((x, y) => y - x));
      let all = 0;
      for await (const page of memoryPages(store, noFilter(), 3)) all += page.length;
      expect(all).toBe(20);
    } finally {
      await store.close();
    }
  });

  it('forgets through the store: a dry run lists, a real run deletes, pinned stay', async () => {
    const store = await open();
    try {
      const at = (age: number, idle: number) => ({
        created_at: isoAt(NOW - age * DAY),
        last_accessed: isoAt(NOW - idle * DAY),
      });
      await store.putMemories(
        [
          mem({ id: 'keep', namespace: 'f', ...at(2, 1) }),
          mem({ id: 'stale-1', namespace: 'f', ...at(100, 60) }),
          mem({ id: 'stale-2', namespace: 'f', session_id: 's', ...at(80, 70) }),
          mem({ id: 'stale-pinned', namespace: 'f', pinned: true, ...at(90, 90) }),
          mem({ id: 'stale-other-ns', namespace: 'g', ...at(90, 90) }),
        ],
        { deduplicate: false },
      );
      const remove = (ids: string[]) => store.deleteMemories(ids);
      const body = { policy: { max_inactive_days: 30 } };
      const dry = await forgetLongTermMemories(store, remove, body, { namespace: 'f' }, NOW);
      // Only the idle ones are read: the store's index narrows the scan.
      expect(dry).toEqual({ scanned: 3, deleted: 2, deleted_ids: ['stale-1', 'stale-2'], dry_run: true });
      expect(await store.getMemories(['stale-1'])).toHaveLength(1);
      const oneSession = await forgetLongTermMemories(store, remove, body, { namespace: 'f', session_id: 's' }, NOW);
      expect(oneSession.deleted_ids).toEqual(['stale-2']);
      const oldest = await forgetLongTermMemories(store, remove, body, { namespace: 'f', limit: 1 }, NOW);
      expect(oldest).toMatchObject({ scanned: 1, deleted_ids: ['stale-1'] });

      const real = await forgetLongTermMemories(store, remove, body, { namespace: 'f', dry_run: false }, NOW);
      expect(real).toEqual({ scanned: 3, deleted: 2, deleted_ids: ['stale-1', 'stale-2'], dry_run: false });
      const left = await store.getMemories(['keep', 'stale-1', 'stale-2', 'stale-pinned', 'stale-other-ns']);
      expect(left.map((r) => r.id).sort()).toEqual(['keep', 'stale-other-ns', 'stale-pinned']);
    } finally {
      await store.close();
    }
  });

  it('deletes in slices with requests served between them, and stops at a shutdown with what it did', async () => {
    const store = await open();
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `stale-${String(i).padStart(2, '0')}`);
      const stale = ids.map((id, i) => mem({ id, namespace: 'f', created_at: isoAt(NOW - (300 - i) * DAY) }));
      await store.putMemories(stale, { deduplicate: false });
      const body = { policy: { max_age_days: 30 } };
      const scope = { namespace: 'f', dry_run: false };
      // A request arriving while the run deletes: it is answered before the run ends.
      let answeredAfter = -1;
      let deletedSoFar = 0;
      setImmediate(() => {
        answeredAfter = deletedSoFar;
      });
      const stop = new AbortController();
      const remove = async (ids: string[]) => {
        const n = await store.deleteMemories(ids);
        deletedSoFar += n;
        if (deletedSoFar >= 3) stop.abort();
        return n;
      };
      const first = await forgetLongTermMemories(store, remove, body, scope, NOW, stop.signal);
      expect(answeredAfter).toBeGreaterThanOrEqual(0);
      expect(first.deleted).toBe(deletedSoFar);
      expect(first.deleted).toBeLessThan(30);
      // Oldest first, and only what went.
      expect(first.deleted_ids).toEqual(ids.slice(0, first.deleted));
      expect(await store.getMemories(first.deleted_ids)).toHaveLength(0);
      const next = await forgetLongTermMemories(store, (ids) => store.deleteMemories(ids), body, scope, NOW);
      expect(next.deleted).toBe(30 - first.deleted);
      expect(await store.getMemories(ids)).toHaveLength(0);
    } finally {
      await store.close();
    }
  });

  it('refuses a policy with no criterion, an unknown criterion, or a bad value, deleting nothing', async () => {
    const store = await open();
    try {
      await store.putMemories([mem({ id: 'x', created_at: isoAt(NOW - 900 * DAY) })], { deduplicate: false });
      const remove = (ids: string[]) => store.deleteMemories(ids);
      const attempt = (body: unknown, scope: Record<string, unknown> = { dry_run: false }) =>
        forgetLongTermMemories(store, remove, body, scope, NOW);
      await expect(attempt({ policy: {} })).rejects.toThrow(/at least one of max_age_days/);
      await expect(attempt({ policy: { max_age_day: 1 } })).rejects.toThrow(/max_age_day/);
      await expect(attempt({ policy: { max_age_days: -1 } })).rejects.toThrow(/max_age_days/);
      await expect(attempt({ policy: { budget: 1.5 } })).rejects.toThrow(/budget/);
      await expect(attempt({ policy: { max_age_days: 1, memory_type_allowlist: ['fact'] } })).rejects.toThrow(
        /memory_type_allowlist/,
      );
      await expect(attempt({ policy: { max_age_days: 1 } }, { limit: 0 })).rejects.toThrow(/limit/);
      await expect(attempt({ policy: { max_age_days: 1 }, extra: true })).rejects.toThrow(/extra/);
      expect(await store.getMemories(['x'])).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
}

for (const [name, open] of stores) describe(`forgetting over a ${name}`, () => scanBehaviour(open));
describe.skipIf(!!noRedis || !!noSearch)(
  `forgetting over Redis${noRedis || noSearch ? `: skipped, ${noRedis ?? noSearch}` : ''}`,
  () => scanBehaviour(() => freshStore()),
);

describe('scheduled forgetting (FORGETTING_*)', () => {
  const env = (extra: Record<string, string>) => ({
    MEMORY_BACKEND: 'sqlite',
    SQLITE_PATH: join(dir, `scheduled-${++files}.db`),
    LOG_LEVEL: 'silent',
    COMPACTION_EVERY_MINUTES: '0',
    ...extra,
  });

  it('refuses FORGETTING_ENABLED without a criterion, and is off by default', () => {
    expect(() => loadConfig(env({ FORGETTING_ENABLED: 'true' }))).toThrow(/FORGETTING_MAX_AGE_DAYS/);
    expect(() => loadConfig(env({ FORGETTING_ENABLED: 'true', FORGETTING_MAX_AGE_DAYS: 'soon' }))).toThrow(
      /FORGETTING_MAX_AGE_DAYS/,
    );
    expect(loadConfig(env({})).features.forgetting).toBeNull();
  });

  it('runs the policy of the settings store-wide when due, deleting, then schedules the next run', async () => {
    const config = loadConfig(
      env({ FORGETTING_ENABLED: 'true', FORGETTING_MAX_INACTIVE_DAYS: '30', FORGETTING_EVERY_MINUTES: '60' }),
    );
    const engine = await openEngine(config, { autoStartWorker: false });
    try {
      const old = { created_at: isoAt(Date.now() - 90 * DAY), last_accessed: isoAt(Date.now() - 90 * DAY) };
      await engine.longTerm.create([
        { id: 'idle-a', text: 'An idle note', namespace: 'a', ...old },
        { id: 'idle-b', text: 'Another idle note', namespace: 'b', ...old },
        { id: 'idle-pinned', text: 'A pinned note', pinned: true, ...old },
        { id: 'used', text: 'A note in use' },
      ]);
      await engine.llm.background.scheduleForgetting();
      const pending = () => {
        const db = new Database(config.sqlitePath, { readonly: true });
        try {
          return db
            .prepare("SELECT run_at AS runAt FROM tasks WHERE kind = 'forget_memories' AND status = 'pending'")
            .all() as { runAt: number }[];
        } finally {
          db.close();
        }
      };
      const [first] = pending();
      expect(first!.runAt).toBeGreaterThan(Date.now() + 59 * 60_000);
      // Not due yet: nothing runs, nothing goes.
      expect(await engine.runBackgroundTasks()).toBe(0);
      expect(await engine.store.getMemories(['idle-a'])).toHaveLength(1);
      // Due: it runs once (the next run is an interval after this one, so not due at this instant).
      expect(await engine.runBackgroundTasks(first!.runAt)).toBe(1);
      const left = await engine.store.getMemories(['idle-a', 'idle-b', 'idle-pinned', 'used']);
      expect(left.map((r) => r.id).sort()).toEqual(['idle-pinned', 'used']);
      // One pending run, an interval later; scheduling again (another server starting) keeps that one.
      await engine.llm.background.scheduleForgetting();
      const next = pending();
      expect(next).toHaveLength(1);
      expect(next[0]!.runAt).toBeGreaterThan(first!.runAt);
    } finally {
      await engine.close();
    }
  });
});
