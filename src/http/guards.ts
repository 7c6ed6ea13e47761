import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { detail } from './errors.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export const isLoopbackAddress = (host: string) =>
  LOOPBACK_NAMES.has(host.toLowerCase()) ||
  /^127(\.\d{1,3}){3}$/.test(host) ||
  host.toLowerCase().endsWith('.localhost');

const hostName = (hostHeader: string) => {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0] ?? h;
};

/**
 * DNS-rebinding guard for a server without auth on loopback: a web page that makes its own domain resolve to
 * 127.0.0.1 would otherwise reach the memories. Requests must name a loopback host (or one of ALLOWED_HOSTS), and
 * a browser Origin must be loopback or one of CORS_ORIGINS.
 */
export function loopbackGuard(opts: { allowedHosts: string[]; corsOrigins: string[] }): MiddlewareHandler<AppEnv> {
  const hostOk = (h: string) => isLoopbackAddress(h) || opts.allowedHosts.includes(h);
  return async (c, next) => {
    const host = hostName(c.req.header('host') ?? '');
    if (host && !hostOk(host)) {
      return detail(
        c,
        403,
        `Host "${host}" is not allowed while auth is disabled; add it to ALLOWED_HOSTS or enable AUTH_MODE.`,
      );
    }
    const origin = c.req.header('origin');
    if (origin && origin !== 'null' && !opts.corsOrigins.includes('*') && !opts.corsOrigins.includes(origin)) {
      let originHost = '';
      try {
        originHost = new URL(origin).hostname;
      } catch {}
      if (!hostOk(originHost) && !hostOk(`[${originHost}]`)) {
        return detail(c, 403, `Origin "${origin}" is not allowed; add it to CORS_ORIGINS.`);
      }
    }
    return next();
  };
}
