import { describe, expect, it } from 'vitest';
import { loadConfig, loadHttpConfig } from '../../src/config.js';
import { startupBanner } from '../../src/http/banner.js';

const URL = 'http://127.0.0.1:8000';

describe('startup banner', () => {
  it('names the Redis server without its password, and where the tokens live', () => {
    const config = loadConfig({
      MEMORY_BACKEND: 'redis',
      REDIS_URL: 'redis://app:s3cret-pw@redis.internal:6380/2',
      REDIS_KEY_PREFIX: 'team',
      SQLITE_PATH: '/var/lib/agent-memory/memory.db',
    });
    const text = startupBanner(URL, loadHttpConfig({ AUTH_MODE: 'token' }), config);
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('in-memory');
    expect(text).toMatch(/Store\s+Redis redis:\/\/app:\*\*\*@redis\.internal:6380\/2 \(key prefix "team"\)/);
    expect(text).toContain('token table in SQLite /var/lib/agent-memory/memory.db');
    // The stdio configuration opens the same Redis store.
    expect(text).toContain('"MEMORY_BACKEND": "redis"');
    expect(text).toContain('"REDIS_URL": "redis://app:***@redis.internal:6380/2"');
    expect(text).toContain('"REDIS_KEY_PREFIX": "team"');
    expect(text).toContain('put the Redis password in place of ***');
  });

  it('shows a Redis URL without credentials as is', () => {
    const config = loadConfig({ MEMORY_BACKEND: 'redis', REDIS_URL: 'redis://localhost:6379' });
    const text = startupBanner(URL, loadHttpConfig({}), config);
    expect(text).toMatch(/Store\s+Redis redis:\/\/localhost:6379 \(key prefix "agent-memory"\)/);
    expect(text).not.toContain('REDIS_KEY_PREFIX');
    expect(text).not.toContain('place of ***');
  });

  it('names the PostgreSQL server and schema without the password', () => {
    const config = loadConfig({
      MEMORY_BACKEND: 'postgres',
      DATABASE_URL: 'postgres://app:s3cret-pw@db.internal:5432/memory',
      POSTGRES_SCHEMA: 'team',
    });
    const text = startupBanner(URL, loadHttpConfig({}), config);
    expect(text).not.toContain('s3cret-pw');
    expect(text).toMatch(/Store\s+PostgreSQL postgres:\/\/app:\*\*\*@db\.internal:5432\/memory \(schema "team"\)/);
    expect(text).toContain('"MEMORY_BACKEND": "postgres"');
    expect(text).toContain('"DATABASE_URL": "postgres://app:***@db.internal:5432/memory"');
    expect(text).toContain('"POSTGRES_SCHEMA": "team"');
    expect(text).toContain('put the PostgreSQL password in place of ***');
  });

  it('names the SQLite file and the in-memory store', () => {
    const sqlite = loadConfig({ MEMORY_BACKEND: 'sqlite', SQLITE_PATH: '/tmp/m.db' });
    expect(startupBanner(URL, loadHttpConfig({}), sqlite)).toMatch(/Store\s+SQLite \/tmp\/m\.db/);
    const memory = loadConfig({ MEMORY_BACKEND: 'memory' });
    expect(startupBanner(URL, loadHttpConfig({}), memory)).toMatch(/Store\s+in-memory \(lost on exit\)/);
  });
});
