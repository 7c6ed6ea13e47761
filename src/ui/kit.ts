import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { describeZodIssues, invalid } from '../errors.js';
import type { AppEnv } from '../http/env.js';
import type { Html } from './html.js';
import { layout, type Section } from './layout.js';
import { type CookieSettings, csrfToken, setFlash, takeFlash } from './session.js';

export type UiContext = Context<AppEnv>;

/** What every view needs from the request: rendering inside the chrome, redirects with a message, parsed input. */
export interface Ui {
  readonly settings: CookieSettings;
  render(c: UiContext, view: { title: string; section?: Section }, body: Html, status?: ContentfulStatusCode): Response;
  /** Post/redirect/get: the next page shows `flash` once. */
  redirect(c: UiContext, to: string, flash?: string): Response;
  csrf(c: UiContext): string;
  /** The query string, validated; a bad value is a 400 that names it. */
  query<S extends z.ZodType>(c: UiContext, schema: S): z.output<S>;
  /** The urlencoded form body, validated the same way (the CSRF check has already read it). */
  form<S extends z.ZodType>(c: UiContext, schema: S): Promise<z.output<S>>;
}

/** Validates with a zod model and throws the 400 the dashboard shows, naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(`${where}: ${describeZodIssues(result.error.issues)}`);
  return result.data;
}

/** Repeated keys as arrays (`?ids=a&ids=b`); single ones as strings. */
function multiQuery(c: UiContext): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0]! : values;
  return out;
}

export async function formBody(c: UiContext): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    throw invalid('Send the form as application/x-www-form-urlencoded (as the dashboard pages do).');
  }
  return (await c.req.parseBody({ all: true })) as Record<string, unknown>;
}

export function makeUi(settings: CookieSettings): Ui {
  return {
    settings,
    render(c, view, body, status = 200) {
      const page = layout(
        {
          ...view,
          identity: c.get('identity'),
          csrf: csrfToken(c, settings),
          flash: takeFlash(c, settings),
        },
        body,
      );
      return c.html(page, status);
    },
    redirect(c, to, flash) {
      if (flash) setFlash(c, settings, flash);
      return c.redirect(to, 303);
    },
    csrf: (c) => csrfToken(c, settings),
    query: (c, schema) => parseWith(schema, multiQuery(c), 'Invalid query'),
    form: async (c, schema) => parseWith(schema, await formBody(c), 'Invalid form'),
  };
}
