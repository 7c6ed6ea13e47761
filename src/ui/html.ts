import { html as honoHtml, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** Markup that is already safe to send: every string interpolated into it went through escaping. */
export type Html = HtmlEscapedString;

/**
 * Hono's tagged template, typed as the synchronous string it is when no value is a Promise (none is here).
 * Strings and numbers interpolated are escaped (& < > " '); only Html values pass through as markup, so memory
 * text, ids and error messages can never become tags or break out of an attribute.
 */
export const html = (strings: TemplateStringsArray, ...values: unknown[]): Html => honoHtml(strings, ...values) as Html;

export const nothing: Html = raw('');

/** Markup built here from constants (SVG path data, pre-escaped fragments): never pass user data to this. */
export const trusted = (markup: string): Html => raw(markup);

/** A query string from the entries whose value is not empty, for links that keep the current filters. */
export function queryString(params: Record<string, string | number | undefined | null | readonly string[]>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) q.append(key, v);
    else q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A hidden input carrying the form's CSRF token. */
export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

/** A labelled text input; `hint` is tied to it with aria-describedby. */
export function textField(opts: {
  name: string;
  label: string;
  value?: string | number | null;
  type?: string;
  hint?: string;
  required?: boolean;
  attrs?: Html;
  /** Defaults to f-<name>; pages with two forms naming the same field give one of them another. */
  id?: string;
}): Html {
  const id = opts.id ?? `f-${opts.name}`;
  const hintId = opts.hint ? `${id}-hint` : undefined;
  return html`<div class="field">
  <label for="${id}">${opts.label}</label>
  <input id="${id}" name="${opts.name}" type="${opts.type ?? 'text'}" value="${opts.value ?? ''}"${opts.required ? html` required` : nothing}${hintId ? html` aria-describedby="${hintId}"` : nothing}${opts.attrs ?? nothing}>
  ${opts.hint ? html`<small id="${hintId}">${opts.hint}</small>` : nothing}
</div>`;
}

/** A labelled select; options are [value, label] pairs. */
export function selectField(opts: {
  name: string;
  label: string;
  value?: string;
  options: readonly (readonly [string, string])[];
  id?: string;
}): Html {
  const id = opts.id ?? `f-${opts.name}`;
  return html`<div class="field">
  <label for="${id}">${opts.label}</label>
  <select id="${id}" name="${opts.name}">${opts.options.map(
    ([v, l]) => html`<option value="${v}"${v === (opts.value ?? '') ? html` selected` : nothing}>${l}</option>`,
  )}</select>
</div>`;
}
