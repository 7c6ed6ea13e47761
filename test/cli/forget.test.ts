/**
 * Forgetting from the three faces a person uses: `agent-memory forget` (the built CLI), the MCP tool over stdio,
 * and REST over loopback HTTP, on real SQLite files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import { cleanup, connectMcp, makeTempStore, runCli } from '../helpers/spawn.js';
import { call, startServer, type TestServer } from '../http/helpers.js';

afterAll(cleanup);

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** Two stale memories, one fresh, one stale but pinned; all in namespace `home`. */
const MEMORIES = [
  { id: 'fresh', text: 'The bike lock code is 4312', namespace: 'home' },
  {
    id: 'stale-a',
    text: 'Lunch with Dana on Tuesday',
    namespace: 'home',
    created_at: ago(200),
    last_accessed: ago(150),
  },
  {
    id: 'stale-b',
    text: 'The plumber comes at nine',
    namespace: 'home',
    created_at: ago(100),
    last_accessed: ago(100),
  },
  {
    id: 'pinned',
    text: 'Allergic to penicillin',
    namespace: 'home',
    pinned: true,
    created_at: ago(300),
    last_accessed: ago(300),
  },
];

async function seed(env: Record<string, string>) {
  const engine = await openEngine(loadConfig(env), { autoStartWorker: false });
  try {
    await engine.longTerm.create(MEMORIES);
  } finally {
    await engine.close();
  }
}

describe('agent-memory forget', () => {
  const store = makeTempStore();
  beforeAll(() => seed(store.env()));

  it('lists what would go and deletes nothing without --apply; --apply deletes exactly those', async () => {
    const dry = await runCli(['forget', '--max-inactive-days', '30', '--namespace', 'home'], store.env());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(
      'stale-a\nstale-b\nscanned 3 memories: would forget 2\ndry run: add --apply to delete them\n',
    );
    const json = await runCli(['forget', '--max-age-days', '150', '--json'], store.env());
    expect(JSON.parse(json.stdout)).toEqual({ scanned: 2, deleted: 1, deleted_ids: ['stale-a'], dry_run: true });

    const applied = await runCli(['forget', '--max-inactive-days', '30', '--apply', '--json'], store.env());
    expect(JSON.parse(applied.stdout)).toEqual({
      scanned: 3,
      deleted: 2,
      deleted_ids: ['stale-a', 'stale-b'],
      dry_run: false,
    });
    const after = await runCli(['forget', '--budget', '0', '--json'], store.env());
    // Only the fresh one is left to forget: the pinned memory never goes.
    expect(JSON.parse(after.stdout)).toMatchObject({ scanned: 2, deleted_ids: ['fresh'] });
  });

  it('refuses a policy without a criterion and a non-numeric value, with a message', async () => {
    const none = await runCli(['forget', '--namespace', 'home'], store.env());
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/at least one of max_age_days, max_inactive_days or budget/);
    const bad = await runCli(['forget', '--budget', 'ten'], store.env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--budget must be a number/);
  });
});

describe('forget_long_term_memories over MCP stdio', () => {
  const store = makeTempStore();
  beforeAll(() => seed(store.env()));

  it('is a dry run unless dry_run is false, and reports a bad policy as a tool error', async () => {
    const mcp = await connectMcp(store.env());
    try {
      const policy = { max_inactive_days: 30 };
      const dry = await mcp.ok('forget_long_term_memories', { policy, namespace: 'home' });
      expect(dry).toEqual({ scanned: 3, deleted: 2, deleted_ids: ['stale-a', 'stale-b'], dry_run: true });
      const kept = await mcp.ok('forget_long_term_memories', { policy, namespace: 'home', pinned_ids: ['stale-a'] });
      expect(kept).toMatchObject({ deleted_ids: ['stale-b'] });
      const real = await mcp.ok('forget_long_term_memories', { policy, namespace: 'home', dry_run: false });
      expect(real).toMatchObject({ deleted: 2, dry_run: false });
      const gone = await mcp.call('get_long_term_memory', { memory_id: 'stale-a' });
      expect(gone.isError).toBe(true);
      const bad = await mcp.call('forget_long_term_memories', { policy: { max_age_dayz: 3 } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/max_age_dayz/);
    } finally {
      await mcp.close();
    }
  });
});

describe('POST /v1/long-term-memory/forget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'disabled' });
    const created = await call(server.url, 'POST', '/v1/long-term-memory', { body: { memories: MEMORIES } });
    expect(created.status).toBe(200);
  });
  afterAll(() => server?.stop());

  it("answers the reference server's shape; dry_run=true by default, dry_run=false deletes", async () => {
    const body = { policy: { max_age_days: 90, max_inactive_days: 60, memory_type_allowlist: ['semantic'] } };
    const dry = await call(server.url, 'POST', '/v1/long-term-memory/forget?namespace=home', { body });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ scanned: 3, deleted: 2, deleted_ids: ['stale-a', 'stale-b'], dry_run: true });
    const limited = await call(server.url, 'POST', '/v1/long-term-memory/forget?limit=2', { body });
    expect(limited.body).toMatchObject({ scanned: 2, deleted_ids: ['stale-a'] });
    const real = await call(server.url, 'POST', '/v1/long-term-memory/forget?namespace=home&dry_run=false', {
      body: { ...body, pinned_ids: ['stale-b'] },
    });
    expect(real.body).toEqual({ scanned: 3, deleted: 1, deleted_ids: ['stale-a'], dry_run: false });
    expect((await call(server.url, 'GET', '/v1/long-term-memory/stale-a')).status).toBe(404);
    expect((await call(server.url, 'GET', '/v1/long-term-memory/stale-b')).status).toBe(200);
  });

  it('refuses bad policies and parameters with 422 naming the field', async () => {
    const cases: [string, unknown][] = [
      ['', { policy: {} }],
      ['', { policy: { max_age_days: 'soon' } }],
      ['', { policy: { budget: 3 }, pinned: ['x'] }],
      ['', {}],
      ['?dry_run=maybe', { policy: { budget: 3 } }],
      ['?limit=0', { policy: { budget: 3 } }],
    ];
    for (const [query, body] of cases) {
      const r = await call(server.url, 'POST', `/v1/long-term-memory/forget${query}`, { body });
      expect(r.status, JSON.stringify([query, body])).toBe(422);
      expect(r.body.detail).toMatch(/^Invalid (body|query): /);
    }
    expect((await call(server.url, 'GET', '/v1/long-term-memory/fresh')).status).toBe(200);
  });
});
