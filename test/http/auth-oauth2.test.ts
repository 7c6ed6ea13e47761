import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp } from './mcp-client.js';

const AUDIENCE = 'agent-memory-test';
let jwks: Server;
let issuer: string;
let server: TestServer;
let url: string;
let signing: CryptoKey;
let stranger: CryptoKey;

async function jwt(
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey; kid?: string; exp?: string | number; aud?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'test-key' })
    .setIssuer(issuer)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject(String(claims.sub ?? 'user-1'))
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.key ?? signing);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signing = pair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  // The issuer's JWKS endpoint: a real HTTP server on loopback.
  jwks = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/`;
  server = await startServer({ AUTH_MODE: 'oauth2', OAUTH2_ISSUER_URL: issuer, OAUTH2_AUDIENCE: AUDIENCE });
  url = server.url;
  const admin = await jwt({ scope: 'memory:admin' });
  await call(url, 'POST', '/v1/long-term-memory', {
    token: admin,
    body: {
      memories: [
        memory('oa-1', 'Team A meets on Tuesdays', { namespace: 'A' }),
        memory('ob-1', 'Team B meets on Thursdays', { namespace: 'B' }),
      ],
    },
  });
});
afterAll(async () => {
  await server.stop();
  await new Promise((resolve) => jwks.close(resolve));
});

describe('OAuth2 (JWT validated against a JWKS)', () => {
  it('accepts a valid token and confines it to its namespace claim', async () => {
    const token = await jwt({ scope: 'openid memory:write', namespace: 'A' });
    const res = await call(url, 'POST', '/v1/long-term-memory/search', { token, body: { text: 'team meets' } });
    expect(res.status).toBe(200);
    expect(res.body.memories.map((m: { id: string }) => m.id)).toEqual(['oa-1']);
    const other = await call(url, 'POST', '/v1/long-term-memory/search', { token, body: { namespace: 'B' } });
    expect(other.status).toBe(403);
    expect((await call(url, 'GET', '/v1/long-term-memory/ob-1', { token })).status).toBe(404);
  });

  it('reads the user claim and the scp list form', async () => {
    const token = await jwt({ scp: ['memory:read'], namespace: 'A', user_id: 'zoe' });
    const res = await call(url, 'POST', '/v1/long-term-memory/search', { token, body: { text: '' } });
    expect(res.status).toBe(200);
    expect(res.body.memories).toEqual([]);
    const write = await call(url, 'PUT', '/v1/working-memory/s1', { token, body: { messages: [] } });
    expect(write.status).toBe(403);
  });

  it('answers 401 with resource metadata for missing, expired, mis-addressed and foreign-signed tokens', async () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /Authorization required/],
      [await jwt({ scope: 'memory:write', namespace: 'A' }, { exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
      [await jwt({ scope: 'memory:write', namespace: 'A' }, { aud: 'someone-else' }), /aud/],
      [await jwt({ scope: 'memory:write', namespace: 'A' }, { key: stranger }), /signature/],
      [
        await jwt({ scope: 'memory:write', namespace: 'A' }, { kid: 'unknown-key', key: stranger }),
        /key the issuer does not publish/,
      ],
      ['not.a.jwt', /not a valid JWT/],
    ];
    for (const [token, message] of cases) {
      const res = await call(url, 'GET', '/v1/stats', { token });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(message);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain(`resource_metadata="${url}/.well-known/oauth-protected-resource"`);
      if (token) expect(challenge).toContain('error="invalid_token"');
    }
  });

  it('answers 403 for tokens without a memory scope or without a namespace', async () => {
    const noScope = await call(url, 'GET', '/v1/stats', { token: await jwt({ scope: 'openid', namespace: 'A' }) });
    expect(noScope.status).toBe(403);
    expect(noScope.body.detail).toMatch(/memory:read/);
    const noNamespace = await call(url, 'GET', '/v1/stats', { token: await jwt({ scope: 'memory:write' }) });
    expect(noNamespace.status).toBe(403);
    expect(noNamespace.body.detail).toMatch(/namespace/);
    const admin = await call(url, 'GET', '/v1/stats', { token: await jwt({ scope: 'memory:admin' }) });
    expect(admin.body).toMatchObject({ namespace: null, long_term_memories: 2 });
  });

  it('answers 503 (not 401) while the JWKS endpoint is down', async () => {
    const orphan = await startServer({
      AUTH_MODE: 'oauth2',
      OAUTH2_ISSUER_URL: issuer,
      OAUTH2_AUDIENCE: AUDIENCE,
      OAUTH2_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      LOG_LEVEL: 'silent',
    });
    try {
      const res = await call(orphan.url, 'GET', '/v1/stats', { token: await jwt({ scope: 'memory:admin' }) });
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/JWKS endpoint did not answer/);
    } finally {
      await orphan.stop();
    }
  });

  it('publishes the protected-resource metadata (MCP authorization)', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await call(url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        resource: url,
        authorization_servers: [issuer],
        scopes_supported: ['memory:read', 'memory:write', 'memory:admin'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('authenticates MCP over Streamable HTTP with the JWT', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http', await jwt({ scope: 'memory:read', namespace: 'B' }));
    try {
      const res = await callTool(client, 'search_memory', { query: 'team meets' });
      expect((res.structuredContent as { memories: { id: string }[] }).memories.map((m) => m.id)).toEqual(['ob-1']);
    } finally {
      await client.close();
    }
    const denied = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/resource_metadata=/);
  });
});
