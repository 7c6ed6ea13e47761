/**
 * The dashboard end to end in headless Chromium, against a real server on loopback with token auth: sign in,
 * search, correct a memory and read the change in its history, delete, preview and apply a forgetting policy, watch
 * an append arrive in the live activity view, sessions with their context gauge, and erasing a user. Each page is
 * checked with axe-core (no serious or critical violations) and saved as a screenshot under test-artifacts/ui/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from '../http/helpers.js';
import { hasChromium, launchChromium, screenshot, seriousViolations } from './browser.js';

if (!hasChromium)
  console.warn('Skipping the dashboard browser test: /usr/bin/chromium is missing (apt-get install -y chromium).');

const DAY = 86_400_000;
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = '';
let admin = '';

const old = (days: number) => new Date(Date.now() - days * DAY).toISOString();

beforeAll(async () => {
  if (!hasChromium) return;
  server = await startServer({
    AUTH_MODE: 'token',
    RATE_LIMIT_PER_MINUTE: '100000',
    EMBEDDING_MODEL: 'offline-wordvec-v1',
  });
  token = server.tokens!.add({ namespace: 'demo', access: 'admin', label: 'browser test' }).token;
  admin = server.tokens!.add({ access: 'admin' }).token;
  const seeded = await call(server.url, 'POST', '/v1/long-term-memory', {
    token: admin,
    body: {
      memories: [
        memory('lh', 'Bob photographed the old lighthouse at dawn', { namespace: 'demo', topics: ['travel'] }),
        memory('sushi', 'Alice likes sushi in Osaka', { namespace: 'demo', user_id: 'alice', topics: ['food'] }),
        memory('seat', 'Alice prefers window seats on long flights', { namespace: 'demo', user_id: 'alice' }),
        memory('gone-1', 'Dana repaired a garden shed years ago', {
          namespace: 'demo',
          created_at: old(400),
          last_accessed: old(400),
        }),
        memory('gone-2', 'Emeka sold a chess set long ago', {
          namespace: 'demo',
          created_at: old(500),
          last_accessed: old(500),
        }),
        memory('bulk-1', 'Farah cooked spicy ramen', { namespace: 'demo', topics: ['food'] }),
        memory('bulk-2', 'Goran studied Italian opera', { namespace: 'demo' }),
        memory('secret', 'Another tenant: the lighthouse keeper code is 4711', { namespace: 'other' }),
      ],
    },
  });
  expect(seeded.status).toBe(200);
  const appended = await call(server.url, 'POST', '/v1/working-memory/trip-1/messages', {
    token,
    body: {
      messages: [
        { role: 'user', content: 'I fly to Lisbon in May and need a window seat.' },
        { role: 'assistant', content: 'Noted: Lisbon in May, window seat.' },
      ],
    },
  });
  expect(appended.status).toBe(200);
  browser = await launchChromium();
  // axe-core is injected as a script: the pages' Content-Security-Policy would refuse it otherwise.
  context = await browser.newContext({ viewport: { width: 1200, height: 820 }, bypassCSP: true });
  page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function expectAccessible() {
  expect(await seriousViolations(page)).toEqual([]);
}

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  it('signs in with a token, from a keyboard', async () => {
    await page.goto(`${server.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await expectAccessible();
    await screenshot(page, 'login', { docs: false });
    // The token field has focus on arrival; typing and Enter signs in.
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/ui`);
    await expect.poll(() => page.textContent('h1')).toBe('Overview');
    expect(await page.textContent('header')).toContain('namespace demo, admin access');
    await expectAccessible();
    await screenshot(page, 'overview');
  });

  it('is navigable by keyboard: skip link first, then the sections', async () => {
    await page.goto(`${server.url}/ui`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.goto(`${server.url}/ui`);
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.push((await page.evaluate(() => document.activeElement?.textContent?.trim())) ?? '');
    }
    expect(reached).toEqual(expect.arrayContaining(['Overview', 'Memories', 'Sessions', 'Activity', 'Forgetting']));
    // The section links open with Enter.
    await page.getByRole('link', { name: 'Memories', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/ui/memories`);
  });

  it('searches, and shows only what the token may see', async () => {
    await page.goto(`${server.url}/ui/memories`);
    await page.fill('#f-q', 'lighthouse');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/memories\?q=lighthouse/);
    const results = (await page.textContent('section[aria-labelledby="results-title"]')) ?? '';
    expect(results).toContain('Bob photographed the old lighthouse');
    expect(results).not.toContain('keeper code');
    // Empty fields are left out of the URL.
    expect(page.url()).not.toContain('namespace=');
    await expectAccessible();
    await screenshot(page, 'memories');
  });

  it('edits a memory and shows the change in its history', async () => {
    await page.click('text=Bob photographed the old lighthouse at dawn');
    await page.waitForURL(/\/ui\/memory\?id=lh/);
    await page.fill('#f-text', 'Bob photographed the old lighthouse at sunset');
    await page.fill('#f-topics', 'travel, photography');
    await page.click('button:has-text("Save changes")');
    await expect.poll(() => page.textContent('.flash')).toContain('Saved');
    const history = (await page.textContent('.history')) ?? '';
    expect(history).toMatch(/edit/);
    expect(history).toContain('at dawn');
    expect(history).toContain('at sunset');
    const stored = await call(server.url, 'GET', '/v1/long-term-memory/lh', { token });
    expect(stored.body.text).toBe('Bob photographed the old lighthouse at sunset');
    expect(stored.body.topics).toEqual(['travel', 'photography']);
    await expectAccessible();
    await screenshot(page, 'memory');
  });

  it('pins, deletes one memory and bulk-deletes others', async () => {
    await page.click('button:has-text("Pin")');
    await expect.poll(() => page.textContent('.flash')).toContain('Pinned');
    expect((await call(server.url, 'GET', '/v1/long-term-memory/lh', { token })).body.pinned).toBe(true);

    await page.goto(`${server.url}/ui/memory?id=seat`);
    await page.click('button:has-text("Delete")');
    await page.waitForURL(`${server.url}/ui/memories`);
    expect(await page.textContent('.flash')).toContain('Deleted memory seat');
    expect((await call(server.url, 'GET', '/v1/long-term-memory/seat', { token })).status).toBe(404);

    await page.check('input[name="ids"][value="bulk-1"]');
    await page.check('input[name="ids"][value="bulk-2"]');
    await page.click('button:has-text("Delete selected (2)")');
    await expect.poll(() => page.textContent('.flash')).toContain('Deleted 2 memories');
    for (const id of ['bulk-1', 'bulk-2']) {
      expect((await call(server.url, 'GET', `/v1/long-term-memory/${id}`, { token })).status).toBe(404);
    }
  });

  it('previews a forgetting policy, then applies it', async () => {
    await page.goto(`${server.url}/ui/forget`);
    await page.fill('#f-max_age_days', '365');
    await page.click('button:has-text("Preview")');
    await expect.poll(() => page.textContent('#preview-title')).toContain('Preview');
    const preview = (await page.textContent('section[aria-labelledby="preview-title"]')) ?? '';
    expect(preview).toContain('2 memories of');
    expect(preview).toContain('Dana repaired a garden shed');
    expect(preview).toContain('Emeka sold a chess set');
    // Nothing is gone after a preview.
    expect((await call(server.url, 'GET', '/v1/long-term-memory/gone-1', { token })).status).toBe(200);
    await expectAccessible();
    await screenshot(page, 'forget');
    await page.click('button:has-text("Apply: forget 2 memories")');
    await expect.poll(() => page.textContent('.flash')).toContain('Forgot 2 memories');
    for (const id of ['gone-1', 'gone-2']) {
      expect((await call(server.url, 'GET', `/v1/long-term-memory/${id}`, { token })).status).toBe(404);
    }
  });

  it('shows an append in the activity view as it happens', async () => {
    await page.goto(`${server.url}/ui/activity?action=append`);
    await page.waitForSelector('#live-status[data-state="live"]');
    const res = await call(server.url, 'POST', '/v1/working-memory/live-42/messages', {
      token,
      body: { messages: [{ role: 'user', content: 'Hello from the live test' }] },
    });
    expect(res.status).toBe(200);
    const row = page.locator('tbody tr', { hasText: 'live-42' });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('append');
    expect(await page.textContent('#live-announce')).toContain('append session live-42');
    await expectAccessible();
    await screenshot(page, 'activity');
  });

  it('lists sessions, shows messages with the context gauge, and forks', async () => {
    await page.goto(`${server.url}/ui/sessions`);
    await page.click('a:has-text("trip-1")');
    await page.waitForURL(/\/ui\/session\?id=trip-1/);
    expect(await page.getAttribute('figure.gauge svg', 'aria-label')).toMatch(/% of the context window used/);
    expect(await page.textContent('.messages')).toContain('I fly to Lisbon in May');
    await expectAccessible();
    await screenshot(page, 'session');
    await page.fill('#f-new_session_id', 'trip-1-branch');
    await page.click('button:has-text("Fork the whole session")');
    await page.waitForURL(/\/ui\/session\?id=trip-1-branch/);
    expect(await page.textContent('.flash')).toContain('Forked trip-1 into trip-1-branch');
    await page.click('button:has-text("Delete session")');
    await page.waitForURL(`${server.url}/ui/sessions`);
    expect(await page.textContent('.flash')).toContain('Deleted session trip-1-branch');
  });

  it('erases a user only after the id is typed again', async () => {
    await page.goto(`${server.url}/ui/forget`);
    await page.fill('#erase-user', 'alice');
    const erase = page.locator('button:has-text("Erase this user")');
    expect(await erase.isDisabled()).toBe(true);
    await page.fill('#erase-confirm', 'alice');
    expect(await erase.isDisabled()).toBe(false);
    await erase.click();
    await expect.poll(() => page.textContent('.flash')).toContain('Erased user alice');
    expect((await call(server.url, 'GET', '/v1/long-term-memory/sushi', { token: admin })).status).toBe(404);
  });

  it('signs out', async () => {
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(/\/ui\/login/);
    await page.goto(`${server.url}/ui/memories`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
  });
});
