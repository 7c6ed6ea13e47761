import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium, launchChromium } from '../ui/browser.js';
import { startServer, type TestServer } from './helpers.js';

if (!hasChromium) {
  console.warn(`Skipping the /docs browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('/docs (Swagger UI with bundled assets)', () => {
  it('serves the page, its assets and the OpenAPI document without a CDN', async () => {
    const page = await (await fetch(`${server.url}/docs`)).text();
    const srcs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.every((s) => s.startsWith('/docs/'))).toBe(true);
    for (const src of srcs) expect((await fetch(server.url + src)).status).toBe(200);
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/long-term-memory/search', '/v1/working-memory/{session_id}']),
    );
    expect(doc.components.schemas).toHaveProperty('MemoryRecord');
  });

  it.skipIf(!hasChromium)('renders in headless Chromium (screenshot)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      const external: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(server.url)) external.push(req.url());
      });
      await page.goto(`${server.url}/docs`);
      await page.waitForSelector('.opblock-tag', { timeout: 20_000 });
      const text = await page.textContent('#swagger-ui');
      expect(text).toContain('agent-memory');
      expect(text).toContain('/v1/long-term-memory/search');
      expect(external.filter((u) => !u.startsWith('data:'))).toEqual([]);
      const dir = join(server.dir, '..', 'agent-memory-screenshots');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'docs.png');
      await page.screenshot({ path: file, fullPage: false });
      expect(existsSync(file)).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
