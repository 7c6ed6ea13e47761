import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHttpConfig } from '../../src/config.js';
import { checkBindSafety } from '../../src/http/server.js';
import { call, type JsonResponse, memory, startServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A request with a chosen Host header (fetch does not let us set it). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('limits', () => {
  it('answers an oversized body with 413 and a detail', async () => {
    server = await startServer({ HTTP_MAX_BODY_BYTES: '2048' });
    const res = await call(server.url, 'POST', '/v1/long-term-memory', {
      body: { memories: [memory('big', 'x'.repeat(4096))] },
    });
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/HTTP_MAX_BODY_BYTES/);
  });

  it('rate-limits each token with 429 and Retry-After', async () => {
    server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '5' });
    const a = server.tokens!.add({ namespace: 'A', access: 'read' }).token;
    const b = server.tokens!.add({ namespace: 'B', access: 'read' }).token;
    const statuses: number[] = [];
    let limited: JsonResponse | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await call(server.url, 'GET', '/v1/stats', { token: a });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited?.body.detail).toMatch(/Rate limit/);
    // Another token has its own budget.
    expect((await call(server.url, 'GET', '/v1/stats', { token: b })).status).toBe(200);
  });

  it('times out slow requests with a detail', async () => {
    // A slow OpenAI-compatible embedding server on loopback: it holds a "slow" request until the test has seen the
    // timeout, so the outcome does not depend on how busy the machine is.
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let slowAnswered!: () => void;
    const slowDone = new Promise<void>((r) => {
      slowAnswered = r;
    });
    const slow = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', async () => {
        const input: string[] = [JSON.parse(body).input].flat();
        const data = input.map((_, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from({ length: 8 }, (_, k) => (k + 1) / 8),
        }));
        const isSlow = input.some((t) => t.includes('slow'));
        if (isSlow) await released;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data, model: 'fake', usage: { prompt_tokens: 1, total_tokens: 1 } }));
        if (isSlow) slowAnswered();
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      server = await startServer({
        // Long enough for the quick search on a busy machine; the slow one never answers before it.
        HTTP_REQUEST_TIMEOUT_MS: '3000',
        EMBEDDING_PROVIDER: 'openai',
        EMBEDDING_MODEL: 'fake-embedder',
        EMBEDDING_DIMENSIONS: '8',
        OPENAI_API_BASE: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`,
      });
      const fast = await call(server.url, 'POST', '/v1/long-term-memory/search', { body: { text: 'quick question' } });
      expect(fast.status).toBe(200);
      const res = await call(server.url, 'POST', '/v1/long-term-memory/search', { body: { text: 'a slow question' } });
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/HTTP_REQUEST_TIMEOUT_MS/);
      // The timed-out search's embedding call ends before the server stops (it would log a closed store otherwise).
      release();
      await slowDone;
    } finally {
      release();
      await server?.stop();
      server = undefined;
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('keeps CORS off by default and answers configured origins', async () => {
    server = await startServer();
    const off = await fetch(`${server.url}/v1/health`, { headers: { Origin: 'http://localhost:3000' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
    await server.stop();
    server = await startServer({ CORS_ORIGINS: 'https://app.example.com' });
    const preflight = await fetch(`${server.url}/v1/long-term-memory/search`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Mcp-Session-Id/i);
    const other = await fetch(`${server.url}/v1/health`, { headers: { Origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses foreign Host and Origin headers while auth is disabled (DNS rebinding)', async () => {
    server = await startServer();
    const rebound = await rawGet(server.port, '/v1/stats', { Host: `evil.example.com:${server.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).detail).toMatch(/ALLOWED_HOSTS/);
    const page = await rawGet(server.port, '/v1/stats', {
      Host: `localhost:${server.port}`,
      Origin: 'https://evil.example.com',
    });
    expect(page.status).toBe(403);
    const ok = await rawGet(server.port, '/v1/stats', {
      Host: `localhost:${server.port}`,
      Origin: `http://localhost:5173`,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a non-loopback address without auth unless forced', () => {
    const open = loadHttpConfig({ API_HOST: '0.0.0.0' });
    expect(() => checkBindSafety(open, false)).toThrow(/--insecure-no-auth/);
    expect(() => checkBindSafety(open, true)).not.toThrow();
    expect(() => checkBindSafety(loadHttpConfig({ API_HOST: '0.0.0.0', AUTH_MODE: 'token' }), false)).not.toThrow();
    expect(() => checkBindSafety(loadHttpConfig({ API_HOST: '127.0.0.1' }), false)).not.toThrow();
    expect(() => checkBindSafety(loadHttpConfig({ API_HOST: '::1' }), false)).not.toThrow();
  });

  it('rejects incomplete OAuth2 settings at start', () => {
    expect(() => loadHttpConfig({ AUTH_MODE: 'oauth2' })).toThrow(/OAUTH2_ISSUER_URL and OAUTH2_AUDIENCE/);
    expect(() => loadHttpConfig({ AUTH_MODE: 'tokens' })).toThrow(/AUTH_MODE/);
  });
});
