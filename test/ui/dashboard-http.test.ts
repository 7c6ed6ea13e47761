/**
 * The dashboard over plain HTTP (no browser): token sign-in, confinement to what the token may see, CSRF, escaping
 * of memory text, 4xx pages for bad input, and the REST API ignoring the dashboard's cookie. Real servers on
 * loopback over SQLite files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from '../http/helpers.js';
import { Visitor } from './visitor.js';

const XSS = `<img src=x onerror="alert(1)"> "quoted' </td></tr><script>alert(2)</script>`;

let server: TestServer;
let open: TestServer;
const tok: Record<string, string> = {};

beforeAll(async () => {
  [server, open] = await Promise.all([
    startServer({
      AUTH_MODE: 'token',
      RATE_LIMIT_PER_MINUTE: '100000',
      EMBEDDING_MODEL: 'offline-wordvec-v1',
      HTTP_MAX_BODY_BYTES: '20000',
    }),
    startServer({ EMBEDDING_MODEL: 'offline-wordvec-v1' }),
  ]);
  tok.adminA = server.tokens!.add({ namespace: 'A', access: 'admin' }).token;
  tok.readA = server.tokens!.add({ namespace: 'A', access: 'read' }).token;
  tok.admin = server.tokens!.add({ access: 'admin' }).token;
  const seeded = await call(server.url, 'POST', '/v1/long-term-memory', {
    token: tok.admin,
    body: {
      memories: [
        memory('a-1', 'Ann keeps bees on the roof', { namespace: 'A', topics: ['hobby'] }),
        memory('a-xss', XSS, { namespace: 'A' }),
        memory('b-1', 'Bea hides the spare key under the mat', { namespace: 'B' }),
      ],
    },
  });
  expect(seeded.status).toBe(200);
  await call(server.url, 'POST', '/v1/working-memory/b-chat/messages', {
    token: tok.admin,
    body: { namespace: 'B', messages: [{ role: 'user', content: 'B only' }] },
  });
});
afterAll(async () => {
  await Promise.all([server?.stop(), open?.stop()]);
});

async function signedIn(token: string): Promise<Visitor> {
  const v = new Visitor(server.url);
  const res = await v.signIn(token);
  expect(res.status).toBe(303);
  await v.get('/ui');
  return v;
}

describe('dashboard sign-in', () => {
  it('sends a browser without sign-in to the sign-in page, and signs in only with a valid token', async () => {
    const v = new Visitor(server.url);
    const first = await v.get('/ui/memories?q=bees');
    expect(first.status).toBe(303);
    expect(first.location).toBe(`/ui/login?expired=1&next=${encodeURIComponent('/ui/memories?q=bees')}`);

    const login = await v.get('/ui/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="token"');
    expect(v.cookies.has('am_ui_csrf')).toBe(true);

    const noCsrf = await v.post('/ui/login', { token: tok.adminA!, _csrf: 'forged' });
    expect(noCsrf.status).toBe(403);
    expect(v.cookies.has('am_ui_token')).toBe(false);

    const bogus = await v.post('/ui/login', { token: 'amk_not-a-token' });
    expect(bogus.status).toBe(401);
    expect(bogus.text).toContain('Unknown token');

    const ok = await v.post('/ui/login', { token: tok.adminA!, next: '//evil.example/' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/ui');
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('am_ui_token='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ui/);

    const page = await v.get('/ui');
    expect(page.status).toBe(200);
    expect(page.text).toContain('namespace A, admin access');
  });

  it('keeps the REST API header-only: the dashboard cookie opens nothing under /v1', async () => {
    const res = await fetch(`${server.url}/v1/stats`, { headers: { Cookie: `am_ui_token=${tok.admin}` } });
    expect(res.status).toBe(401);
  });

  it('signs out, after which pages ask for a token again', async () => {
    const v = await signedIn(tok.adminA!);
    const out = await v.post('/ui/logout', {});
    expect(out.status).toBe(303);
    expect(out.location).toBe('/ui/login');
    expect(v.cookies.has('am_ui_token')).toBe(false);
    expect((await v.get('/ui')).status).toBe(303);
  });

  it('needs no sign-in with auth disabled, and still wants the CSRF token', async () => {
    const v = new Visitor(open.url);
    const page = await v.get('/ui');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Auth disabled (loopback): full access');
    expect((await v.get('/ui/login')).location).toBe('/ui');
    await call(open.url, 'POST', '/v1/long-term-memory', { body: { memories: [memory('o-1', 'open memory')] } });
    expect((await v.post('/ui/memory/delete', { id: 'o-1', _csrf: null })).status).toBe(403);
    await v.get('/ui/memories');
    expect((await v.post('/ui/memory/delete', { id: 'o-1' })).status).toBe(303);
    expect((await call(open.url, 'GET', '/v1/long-term-memory/o-1')).status).toBe(404);
    // One session id in two namespaces: the list says so instead of failing.
    for (const namespace of ['x', 'y']) {
      await call(open.url, 'POST', '/v1/working-memory/dup/messages', {
        body: { namespace, messages: [{ role: 'user', content: `hi from ${namespace}` }] },
      });
    }
    const sessions = await v.get('/ui/sessions');
    expect(sessions.status).toBe(200);
    expect(sessions.text).toContain('in several namespaces or users');
    expect((await v.get('/ui/sessions?namespace=x')).text).toContain('/ui/session?id=dup&amp;namespace=x');
  });
});

describe('dashboard scoping', () => {
  it('shows a confined token only its namespace, on every page', async () => {
    const v = await signedIn(tok.adminA!);
    const list = await v.get('/ui/memories');
    expect(list.text).toContain('Ann keeps bees');
    expect(list.text).not.toContain('spare key');
    const search = await v.get('/ui/memories?q=spare+key&mode=keyword');
    expect(search.text).not.toContain('spare key under the mat');
    expect((await v.get('/ui/memory?id=b-1')).status).toBe(404);
    const other = await v.get('/ui/memories?namespace=B');
    expect(other.status).toBe(403);
    expect(other.text).toContain('confined to namespace');
    expect((await v.get('/ui/activity')).text).not.toContain('b-1');
    expect((await v.get('/ui/sessions')).text).not.toContain('b-chat');
    expect((await v.get('/ui/session?id=b-chat')).status).toBe(404);
    const overview = await v.get('/ui');
    expect(overview.text).not.toMatch(/>B</);
    // Deleting B's memory by id from A's dashboard deletes nothing.
    await v.post('/ui/memories/delete', { ids: ['b-1'] });
    expect((await call(server.url, 'GET', '/v1/long-term-memory/b-1', { token: tok.admin })).status).toBe(200);
  });

  it('lets a read-only token look but not change', async () => {
    const v = await signedIn(tok.readA!);
    expect((await v.get('/ui/memory?id=a-1')).status).toBe(200);
    const edit = await v.post('/ui/memory/edit', { id: 'a-1', text: 'changed', memory_type: 'semantic' });
    expect(edit.status).toBe(403);
    expect(edit.text).toContain('needs write access');
    const forget = await v.post('/ui/forget', { max_age_days: '1', intent: 'preview' });
    expect(forget.status).toBe(403);
  });
});

describe('dashboard safety', () => {
  it('escapes memory text on every page and in the live stream', async () => {
    const v = await signedIn(tok.adminA!);
    for (const path of ['/ui', '/ui/memories', '/ui/memory?id=a-xss', '/ui/activity', '/ui/forget']) {
      const page = await v.get(path);
      expect(page.status, path).toBe(200);
      expect(page.text, path).not.toContain('<img src=x');
      expect(page.text, path).not.toContain('<script>alert');
    }
    expect((await v.get('/ui/memories')).text).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    const csp = (await v.get('/ui')).headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self'");

    // The live stream sends rows rendered on the server: escaped the same way.
    const abort = new AbortController();
    const res = await fetch(`${server.url}/ui/activity/stream`, {
      headers: { Cookie: v.cookieHeader() },
      signal: abort.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += decoder.decode(value);
      }
    };
    await readUntil('event: ready');
    await call(server.url, 'POST', '/v1/long-term-memory', {
      token: tok.adminA,
      // Another text: the same one would be a duplicate, which creates nothing.
      body: { memories: [memory('a-xss-2', `${XSS} (2)`)] },
    });
    await readUntil('event: activity');
    await readUntil('</tr>');
    abort.abort();
    expect(text).toContain('a-xss-2');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('&lt;img src=x');
  });

  it('refuses state changes without the CSRF token or from another origin', async () => {
    const v = await signedIn(tok.adminA!);
    for (const [fields, headers] of [
      [{ id: 'a-1', _csrf: null }, {}],
      [{ id: 'a-1', _csrf: 'AAAA' }, {}],
      [{ id: 'a-1' }, { Origin: 'http://evil.example' }],
      [{ id: 'a-1' }, { 'Sec-Fetch-Site': 'cross-site' }],
    ] as const) {
      const res = await v.post('/ui/memory/delete', { ...fields }, { ...headers });
      expect(res.status).toBe(403);
      expect(res.text).toContain('Refused');
    }
    expect((await call(server.url, 'GET', '/v1/long-term-memory/a-1', { token: tok.adminA })).status).toBe(200);
    // Another browser's token does not pass either: it is bound to that browser's own secret.
    const other = await signedIn(tok.adminA!);
    expect((await v.post('/ui/memory/delete', { id: 'a-1', _csrf: other.csrf })).status).toBe(403);
  });

  it('answers bad input with a 4xx page, never a 500', async () => {
    const v = await signedIn(tok.adminA!);
    const gets = [
      '/ui/memories?importance_min=abc',
      '/ui/memories?importance_min=3',
      '/ui/memories?mode=fuzzy',
      '/ui/memories?created_at_from=not-a-date',
      '/ui/memories?page=0',
      '/ui/memories?per_page=7',
      '/ui/memories?namespace=A&namespace_op=regex',
      '/ui/memories?q=a&q=b',
      '/ui/memory',
      '/ui/memory?id=nope',
      '/ui/session',
      '/ui/session?id=nope',
      '/ui/session?id=x&window=lots',
      '/ui/sessions?page=-1',
      '/ui/activity?action=explode',
      '/ui/activity?cursor=abc',
      '/ui/activity/stream?resource=planet',
      '/ui/no-such-page',
    ];
    for (const path of gets) {
      const res = await v.get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('content-type'), path).toContain('text/html');
    }
    const posts: [string, Record<string, string | string[]>][] = [
      ['/ui/memory/edit', { id: 'a-1', text: '   ', memory_type: 'semantic' }],
      ['/ui/memory/edit', { id: 'a-1', text: 'x', memory_type: 'opinion' }],
      ['/ui/memory/edit', { id: 'a-1', text: 'x', memory_type: 'semantic', importance: '7' }],
      ['/ui/memory/edit', { id: 'a-1', text: 'x', memory_type: 'semantic', event_date: 'someday' }],
      ['/ui/memory/pin', { id: 'a-1', pinned: 'true', return_to: '//evil.example/' }],
      ['/ui/memory/pin', { id: 'a-1', pinned: 'maybe' }],
      ['/ui/memories/delete', {}],
      ['/ui/forget', { intent: 'preview' }],
      ['/ui/forget', { max_age_days: 'abc' }],
      ['/ui/forget', { max_age_days: '-4' }],
      ['/ui/forget', { max_age_days: '1', intent: 'nuke' }],
      ['/ui/users/erase', { user_id: 'ann', confirm: 'bob' }],
      ['/ui/session/fork', { session_id: 'nope' }],
      ['/ui/memory/edit', { id: 'a-1', text: 'x'.repeat(30_000), memory_type: 'semantic' }],
    ];
    for (const [path, fields] of posts) {
      const res = await v.post(path, fields);
      expect(res.status, `${path} ${JSON.stringify(fields).slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    const json = await v.request('POST', '/ui/memory/delete', {
      body: JSON.stringify({ id: 'a-1', _csrf: v.csrf }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect((await call(server.url, 'GET', '/v1/long-term-memory/a-1', { token: tok.adminA })).body.text).toBe(
      'Ann keeps bees on the roof',
    );
  });

  it('keeps a rejected correction in the form with the reason, and writes no history for an unchanged one', async () => {
    const v = await signedIn(tok.adminA!);
    const bad = await v.post('/ui/memory/edit', {
      id: 'a-1',
      text: 'Ann keeps wasps',
      memory_type: 'semantic',
      importance: '2',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Ann keeps wasps');
    expect(bad.text).toMatch(/importance/);
    const same = await v.post('/ui/memory/edit', {
      id: 'a-1',
      text: 'Ann keeps bees on the roof',
      memory_type: 'semantic',
      topics: 'hobby',
      importance: '0.5',
    });
    expect(same.status).toBe(303);
    expect((await v.get(same.location!)).text).toContain('Nothing changed.');
    const history = await call(server.url, 'GET', '/v1/long-term-memory/a-1/history', { token: tok.adminA });
    expect(history.body.events.map((e: { action: string }) => e.action)).toEqual(['create']);
  });
});
