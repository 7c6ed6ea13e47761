import { type Html, html, nothing, queryString } from './html.js';

/** An ISO time as `2026-05-01 12:00 UTC` in a <time> element; the title keeps the exact instant. */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return html`${iso}`;
  const text = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return 'unknown';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const count = (n: number) => n.toLocaleString('en-US');

/** Plural noun with its count: `1 memory`, `3 memories`. */
export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** A memory's tags as small chips linking to the list filtered by each. */
export function chips(field: 'topics' | 'entities', values: readonly string[]): Html {
  if (!values.length) return nothing;
  return html`<ul class="chips" aria-label="${field}">${values.map(
    (v) => html`<li><a href="/ui/memories${queryString({ [field]: v, [`${field}_op`]: 'any' })}">${v}</a></li>`,
  )}</ul>`;
}

/** Long text cut for a table cell; the full text is one click away. */
export const excerpt = (text: string, max = 220) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
