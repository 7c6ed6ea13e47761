import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Authenticator } from '../auth/authenticator.js';
import { AuthFailure } from '../auth/oauth2.js';
import type { AuthMode } from '../config.js';
import { MemoryError } from '../errors.js';
import type { AppEnv } from '../http/env.js';
import { assetRoutes } from './assets.js';
import { formBody, makeUi, type Ui } from './kit.js';
import { layout } from './layout.js';
import { activityPages } from './pages/activity.js';
import { errorView } from './pages/error.js';
import { forgetPages } from './pages/forget.js';
import { loginPages } from './pages/login.js';
import { memoryPages } from './pages/memories.js';
import { memoryDetailPages } from './pages/memory.js';
import { overviewPage } from './pages/overview.js';
import { sessionPages } from './pages/sessions.js';
import { csrfProblem, existingCsrfToken, signedInAuthorization } from './session.js';

export interface DashboardOptions {
  authMode: AuthMode;
  authenticate: Authenticator;
  publicUrl?: string;
  maxBodyBytes: number;
}

/**
 * The web dashboard at /ui. It has no engine of its own: the server's auth middleware authenticates each request
 * (from the sign-in cookie here, as from the Authorization header elsewhere) and hands every view the same scoped
 * engine the REST routes use, so a token sees and changes exactly what it could through /v1.
 */
export interface Dashboard {
  /** Registered before the auth middleware: security headers, timing, and errors (a lapsed sign-in) as pages. */
  gate: MiddlewareHandler<AppEnv>;
  /** Requests that need no sign-in: the sign-in form itself, signing out, and the static assets. */
  isPublic(method: string, path: string): boolean;
  /** The Authorization header a dashboard request carries in its sign-in cookie, if any. */
  authorization(c: Context): string | undefined;
  /** Registered with the other routes, after the auth middleware. */
  routes(app: Hono<AppEnv>): void;
}

const isUiPath = (path: string) => path === '/ui' || path.startsWith('/ui/');

const PAGE_HEADERS = {
  // Scripts and styles only from /ui/assets: an injected tag could not run even if escaping failed somewhere.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

function messageOf(err: Error, status: number): string {
  if (err instanceof MemoryError || err instanceof AuthFailure) return err.message;
  if (err instanceof HTTPException && status < 500) return err.message || 'Bad request.';
  return 'Something went wrong on the server; its log has the details.';
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const ui: Ui = makeUi({ publicUrl: opts.publicUrl });

  // Errors reach here already answered as JSON by the server's error handler; a person gets a page instead. The
  // page is built without touching the context's headers, which belong to the response being replaced.
  const replace = (c: Context<AppEnv>, res: Response) => {
    c.res = undefined;
    c.res = res;
  };
  const gate: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = performance.now();
    await next();
    const err = c.error;
    if (err instanceof AuthFailure && err.status === 401 && opts.authMode !== 'disabled') {
      // A missing or lapsed sign-in: to the sign-in page, then on to where the person was going.
      const back = c.req.method === 'GET' ? c.req.path + new URL(c.req.url).search : '/ui';
      replace(
        c,
        new Response(null, {
          status: 303,
          headers: { Location: `/ui/login?expired=1&next=${encodeURIComponent(back)}` },
        }),
      );
    } else if (err) {
      const status = (c.res.status >= 400 ? c.res.status : 500) as ContentfulStatusCode;
      const page = layout(
        { title: `Error ${status}`, identity: c.get('identity'), csrf: existingCsrfToken(c) },
        errorView(status, messageOf(err, status)),
      );
      replace(c, new Response(page, { status, headers: { 'Content-Type': 'text/html; charset=UTF-8' } }));
    }
    if (!c.req.path.startsWith('/ui/assets/')) {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) c.res.headers.set(k, v);
      c.res.headers.set('Cache-Control', 'no-store');
    }
    // Server time of the page, for the browser's developer tools and the dashboard benchmark.
    c.res.headers.append('Server-Timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
  };

  const csrf: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const body = await formBody(c);
    const problem = csrfProblem(c, ui.settings, body._csrf);
    if (problem) throw new MemoryError('forbidden', `Refused: ${problem}.`);
    return next();
  };

  return {
    gate,
    isPublic: (method, path) =>
      ((method === 'GET' || method === 'HEAD') && (path === '/ui/login' || /^\/ui\/assets\/[\w.-]+$/.test(path))) ||
      (method === 'POST' && (path === '/ui/login' || path === '/ui/logout')),
    authorization: (c) => (isUiPath(c.req.path) ? signedInAuthorization(c) : undefined),
    routes(app) {
      app.use(
        '/ui/*',
        bodyLimit({
          maxSize: opts.maxBodyBytes,
          onError: () => {
            throw new HTTPException(413, {
              message: `The form is larger than ${opts.maxBodyBytes} bytes (HTTP_MAX_BODY_BYTES).`,
            });
          },
        }),
      );
      app.use('/ui/*', csrf);
      assetRoutes(app);
      loginPages(app, ui, opts.authMode, opts.authenticate);
      overviewPage(app, ui);
      memoryPages(app, ui);
      memoryDetailPages(app, ui);
      sessionPages(app, ui);
      activityPages(app, ui);
      forgetPages(app, ui);
      app.all('/ui/*', (c) => {
        throw new MemoryError('not_found', `There is no dashboard page ${c.req.path}.`);
      });
    },
  };
}
