import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** Every dashboard cookie is scoped to /ui: the REST API never sees them, so it stays header-authenticated only. */
export const UI_PATH = '/ui';
const TOKEN_COOKIE = 'am_ui_token';
const CSRF_COOKIE = 'am_ui_csrf';
const FLASH_COOKIE = 'am_ui_flash';

export interface CookieSettings {
  /** PUBLIC_URL, when the server sits behind a proxy: it decides Secure and the origin forms must come from. */
  publicUrl?: string;
}

const secure = (c: Context, s: CookieSettings) =>
  (s.publicUrl ?? c.req.url).startsWith('https:') || c.req.header('x-forwarded-proto') === 'https';

// HttpOnly keeps scripts (ours included) from reading them; Strict keeps other sites' pages from sending them.
const options = (c: Context, s: CookieSettings) =>
  ({ path: UI_PATH, httpOnly: true, sameSite: 'Strict', secure: secure(c, s) }) as const;

/** The signed-in token, as the Authorization header the auth middleware checks on every request. */
export function signedInAuthorization(c: Context): string | undefined {
  const token = getCookie(c, TOKEN_COOKIE);
  return token ? `Bearer ${token}` : undefined;
}

export function signIn(c: Context, s: CookieSettings, token: string): void {
  setCookie(c, TOKEN_COOKIE, token, options(c, s));
  // A new session gets a new CSRF secret: a token planted before sign-in is worthless after it.
  setCookie(c, CSRF_COOKIE, randomBytes(32).toString('base64url'), options(c, s));
}

export function signOut(c: Context, s: CookieSettings): void {
  deleteCookie(c, TOKEN_COOKIE, options(c, s));
  deleteCookie(c, CSRF_COOKIE, options(c, s));
}

/**
 * The CSRF token of this browser's forms: an HMAC, keyed by a random HttpOnly cookie, of the signed-in token (signed
 * double submit). A page of another origin can make the browser send the cookies but can read neither them nor our
 * pages, so it cannot produce the field. Sets the cookie when the browser has none yet.
 */
export function csrfToken(c: Context, s: CookieSettings): string {
  let secret = getCookie(c, CSRF_COOKIE) ?? freshSecrets.get(c.req.raw);
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    // One secret per response, however many forms the page renders.
    freshSecrets.set(c.req.raw, secret);
    setCookie(c, CSRF_COOKIE, secret, options(c, s));
  }
  return macOf(secret, getCookie(c, TOKEN_COOKIE) ?? '');
}

const freshSecrets = new WeakMap<Request, string>();

/** The CSRF token when the browser already has a secret, else '' (for pages that must not set cookies). */
export function existingCsrfToken(c: Context): string {
  const secret = getCookie(c, CSRF_COOKIE);
  return secret ? macOf(secret, getCookie(c, TOKEN_COOKIE) ?? '') : '';
}

const macOf = (secret: string, token: string) =>
  createHmac('sha256', secret).update(`agent-memory-ui\0${token}`).digest('base64url');

/** Why a state-changing request is refused, or null when it carries this browser's CSRF token from our origin. */
export function csrfProblem(c: Context, s: CookieSettings, submitted: unknown): string | null {
  // Browsers say where a request comes from; a form posted from another site (or port) is refused outright.
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return 'the form was sent from another site';
  const origin = c.req.header('origin');
  if (origin && !sameOrigin(c, s, origin)) return `the form was sent from ${origin}, not from this server`;
  const secret = getCookie(c, CSRF_COOKIE);
  if (!secret || typeof submitted !== 'string') return 'the form has no valid CSRF token (reload the page)';
  const expected = Buffer.from(macOf(secret, getCookie(c, TOKEN_COOKIE) ?? ''));
  const given = Buffer.from(submitted);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'the form has expired or was not made by this page (reload the page and try again)';
  }
  return null;
}

/** The browser's Origin names this server: PUBLIC_URL, or the host the request was sent to (behind a TLS proxy too). */
function sameOrigin(c: Context, s: CookieSettings, origin: string): boolean {
  if (s.publicUrl && origin === new URL(s.publicUrl).origin) return true;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/** A one-time message shown by the next page (post, redirect, get). */
export function setFlash(c: Context, s: CookieSettings, message: string): void {
  setCookie(c, FLASH_COOKIE, message.slice(0, 500), { ...options(c, s), maxAge: 60 });
}

export function takeFlash(c: Context, s: CookieSettings): string | undefined {
  const message = getCookie(c, FLASH_COOKIE);
  if (message !== undefined) deleteCookie(c, FLASH_COOKIE, options(c, s));
  return message || undefined;
}
