import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { MemoryError } from '../errors.js';
import type { AppEnv } from '../http/env.js';
import { PACKAGE_ROOT } from '../version.js';
import { DASHBOARD_CSS } from './style.js';

/**
 * The dashboard's script is compiled with the server (src/ui/client/dashboard.ts); it is read from beside this
 * module when running from dist/, and from the build when running from the sources (tests).
 */
function loadScript(): string {
  const candidates = [
    fileURLToPath(new URL('./client/dashboard.js', import.meta.url)),
    join(PACKAGE_ROOT, 'dist', 'src', 'ui', 'client', 'dashboard.js'),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new MemoryError('unavailable', 'The dashboard script is not built: run npm run build.');
  // The source map is not shipped to browsers.
  return readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/m, '\n');
}

let script: string | undefined;

export function assetRoutes(app: Hono<AppEnv>): void {
  const cache = { 'Cache-Control': 'public, max-age=3600' };
  app.get('/ui/assets/dashboard.css', (c) =>
    c.body(DASHBOARD_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', ...cache }),
  );
  app.get('/ui/assets/dashboard.js', (c) => {
    script ??= loadScript();
    return c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...cache });
  });
}
