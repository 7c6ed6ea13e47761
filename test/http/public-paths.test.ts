/**
 * Which routes answer without a token: only reads of the exact public pages. Regression for the public-path
 * patterns that also matched `/{namespace}/mcp|sse|messages` (issue 11), and for store-wide figures reaching a
 * token confined to one namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let adminA = '';
let admin = '';
beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '100000' });
  adminA = server.tokens!.add({ namespace: 'A', access: 'admin' }).token;
  admin = server.tokens!.add({ access: 'admin' }).token;
});
afterAll(() => server.stop());

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
};

describe('public paths', () => {
  it('serve their pages without a token', async () => {
    for (const path of ['/', '/v1/health', '/health', '/openapi.json', '/docs', '/docs/swagger-ui.css']) {
      expect((await fetch(server.url + path)).status, path).toBe(200);
    }
    const meta = await fetch(`${server.url}/.well-known/oauth-protected-resource`);
    expect(meta.status).toBe(404); // token mode: there is no OAuth2 metadata, and saying so needs no token
  });

  it('never let a namespaced MCP route or any write through without a token', async () => {
    const probes: [string, string, unknown?][] = [
      ['POST', '/.well-known/mcp', initialize],
      ['POST', '/docs/mcp', initialize],
      ['GET', '/.well-known/sse'],
      ['POST', '/.well-known/messages?sessionId=x', initialize],
      ['POST', '/docs/messages?sessionId=x', initialize],
      ['POST', '/docs', {}],
      ['POST', '/v1/health', {}],
      ['DELETE', '/.well-known/oauth-protected-resource'],
    ];
    for (const [method, path, body] of probes) {
      const res = await call(server.url, method, path, {
        body,
        headers: { Accept: 'application/json, text/event-stream' },
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.detail).toMatch(/Authorization required/);
    }
  });

  it('do not serve MCP under a reserved segment even with a token, and GET /docs/sse is only a missing asset', async () => {
    for (const path of ['/docs/mcp', '/.well-known/mcp', '/v1/mcp']) {
      const res = await call(server.url, 'POST', path, {
        token: admin,
        body: initialize,
        headers: { Accept: 'application/json, text/event-stream' },
      });
      expect(res.status, path).toBe(404);
    }
    const asset = await call(server.url, 'GET', '/docs/sse');
    expect(asset.status).toBe(401);
  });

  it('keep store-wide figures from a token confined to one namespace, even an admin one', async () => {
    expect((await call(server.url, 'GET', '/metrics', { token: adminA })).status).toBe(403);
    expect((await call(server.url, 'GET', '/metrics', { token: admin })).status).toBe(200);
    const other = await call(server.url, 'GET', '/v1/stats?namespace=B', { token: adminA });
    expect(other.status).toBe(403);
    const own = await call(server.url, 'GET', '/v1/stats', { token: adminA });
    expect(own.body.namespace).toBe('A');
  });
});
