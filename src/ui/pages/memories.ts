import type { Hono } from 'hono';
import type { AppEnv } from '../../http/env.js';
import { TAG_FIELDS, TIME_FIELDS } from '../../models/filters.js';
import type { MemoryRecordResult } from '../../models/memory-record.js';
import type { MemoryStats } from '../../models/users.js';
import { chips, count, excerpt, plural, when } from '../format.js';
import { BulkDeleteForm, MemoryQuery, PER_PAGE, searchRequestOf, TAG_OPS } from '../forms.js';
import { type Html, html, nothing, queryString, selectField, textField } from '../html.js';
import type { Ui, UiContext } from '../kit.js';

const TAG_LABELS: Record<(typeof TAG_FIELDS)[number], string> = {
  namespace: 'Namespace',
  user_id: 'User',
  session_id: 'Session',
  memory_type: 'Type',
  topics: 'Topics',
  entities: 'Entities',
  extraction_strategy: 'Extraction strategy',
};
const TIME_LABELS: Record<(typeof TIME_FIELDS)[number], string> = {
  created_at: 'Created',
  updated_at: 'Updated',
  last_accessed: 'Last accessed',
  event_date: 'Event date',
};
const OP_LABELS: Record<(typeof TAG_OPS)[number], string> = {
  eq: 'is',
  ne: 'is not',
  any: 'any of (comma-separated)',
  all: 'all of (comma-separated)',
  startswith: 'starts with',
};

/** The page's own query string without paging: links and the bulk form come back to the same list. */
function currentQuery(c: UiContext): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(c.req.queries())) if (k !== 'page') out[k] = v;
  return out;
}

const hasFilters = (q: MemoryQuery) =>
  TAG_FIELDS.some((f) => q[f] !== undefined) ||
  TIME_FIELDS.some((f) => q[`${f}_from`] !== undefined || q[`${f}_to`] !== undefined) ||
  q.importance_min !== undefined ||
  q.importance_max !== undefined ||
  q.pinned !== '' ||
  q.alpha !== undefined ||
  q.max_distance !== undefined ||
  q.recency === 'off';

function searchForm(q: MemoryQuery): Html {
  const tagRows = TAG_FIELDS.map(
    (f) => html`<div class="field">
<label for="f-${f}">${TAG_LABELS[f]}</label>
<div class="check">
<label class="sr-only" for="f-${f}_op">${TAG_LABELS[f]}: how to match</label>
<select id="f-${f}_op" name="${f}_op">${TAG_OPS.map(
      (op) => html`<option value="${op}"${q[`${f}_op`] === op ? html` selected` : nothing}>${OP_LABELS[op]}</option>`,
    )}</select>
<input id="f-${f}" name="${f}" type="text" value="${q[f] ?? ''}">
</div></div>`,
  );
  const timeRows = TIME_FIELDS.map(
    (
      f,
    ) => html`${textField({ name: `${f}_from`, label: `${TIME_LABELS[f]} from`, value: q[`${f}_from`], type: 'date' })}
${textField({ name: `${f}_to`, label: `${TIME_LABELS[f]} to`, value: q[`${f}_to`], type: 'date' })}`,
  );
  return html`<form method="get" action="/ui/memories" role="search" data-clean>
<div class="search-row">
<div class="field grow"><label for="f-q">Search memories</label>
<input id="f-q" name="q" type="search" value="${q.q ?? ''}" placeholder="What does Alice like to eat?" aria-describedby="f-q-hint">
<small id="f-q-hint">Empty lists the memories the filters keep, newest first.</small></div>
${selectField({
  name: 'mode',
  label: 'Mode',
  value: q.mode,
  options: [
    ['hybrid', 'Hybrid (meaning + words)'],
    ['semantic', 'Semantic (meaning)'],
    ['keyword', 'Keyword (BM25)'],
  ],
})}
${selectField({ name: 'per_page', label: 'Per page', value: q.per_page, options: PER_PAGE.map((n) => [n, n] as const) })}
<div class="actions"><button type="submit" class="primary">Search</button> <a href="/ui/memories">Reset</a></div>
</div>
<details${hasFilters(q) ? html` open` : nothing}><summary>Filters and ranking</summary>
<fieldset><legend>Tags</legend><div class="grid">${tagRows}</div></fieldset>
<fieldset><legend>Times (UTC days)</legend><div class="grid">${timeRows}</div></fieldset>
<fieldset><legend>Importance, pins and ranking</legend><div class="grid">
${textField({ name: 'importance_min', label: 'Importance at least', value: q.importance_min, type: 'number', attrs: html` min="0" max="1" step="0.05"` })}
${textField({ name: 'importance_max', label: 'Importance at most', value: q.importance_max, type: 'number', attrs: html` min="0" max="1" step="0.05"` })}
${selectField({
  name: 'pinned',
  label: 'Pinned',
  value: q.pinned,
  options: [
    ['', 'Pinned or not'],
    ['true', 'Only pinned'],
    ['false', 'Only not pinned'],
  ],
})}
${textField({ name: 'alpha', label: 'Hybrid vector weight', value: q.alpha, type: 'number', hint: '0 = words only, 1 = meaning only; empty = server default', attrs: html` min="0" max="1" step="0.05"` })}
${textField({ name: 'max_distance', label: 'Max cosine distance', value: q.max_distance, type: 'number', hint: 'Semantic part only (0–2)', attrs: html` min="0" max="2" step="0.05"` })}
${selectField({
  name: 'recency',
  label: 'Recency re-ranking',
  value: q.recency,
  options: [
    ['on', 'On (fresh and used memories first)'],
    ['off', 'Off (relevance only)'],
  ],
})}
</div></fieldset>
</details>
</form>`;
}

function facetList(title: string, field: string, values: Record<string, number>, q: MemoryQuery): Html {
  const entries = Object.entries(values)
    .filter(([k]) => k !== '(none)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12);
  if (!entries.length) return nothing;
  const current = (q as Record<string, unknown>)[field];
  return html`<h2>${title}</h2><ul>${entries.map(
    ([value, n]) =>
      html`<li><a href="/ui/memories${queryString({ [field]: value })}"${current === value ? html` aria-current="true"` : nothing}>${value}</a><span class="muted">${count(n)}</span></li>`,
  )}</ul>`;
}

function topicFacet(results: MemoryRecordResult[]): Html {
  const seen = new Map<string, number>();
  for (const m of results) for (const t of m.topics) seen.set(t, (seen.get(t) ?? 0) + 1);
  if (!seen.size) return nothing;
  const entries = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return html`<h2>Topics on this page</h2><ul>${entries.map(
    ([t]) => html`<li><a href="/ui/memories${queryString({ topics: t, topics_op: 'any' })}">${t}</a></li>`,
  )}</ul>`;
}

function sidebar(stats: MemoryStats, q: MemoryQuery, results: MemoryRecordResult[]): Html {
  return html`<aside aria-label="Browse">
${facetList('Namespaces', 'namespace', stats.by_namespace, q)}
${facetList('Users', 'user_id', stats.by_user, q)}
${facetList('Types', 'memory_type', stats.by_memory_type, q)}
${topicFacet(results)}
<h2>Pins</h2><ul><li><a href="/ui/memories?pinned=true">Pinned</a><span class="muted">${count(stats.pinned)}</span></li></ul>
</aside>`;
}

function resultRows(results: MemoryRecordResult[], searching: boolean, returnTo: string, csrf: string): Html {
  if (!results.length) return html`<p class="note" role="status">No memory matches.</p>`;
  // Pin buttons submit their own small forms (forms cannot nest inside the bulk-delete form).
  const pinForms = results.map(
    (m, i) => html`<form id="pin-${i}" method="post" action="/ui/memory/pin" hidden>
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${m.id}">
<input type="hidden" name="pinned" value="${m.pinned ? 'false' : 'true'}"><input type="hidden" name="return_to" value="${returnTo}"></form>`,
  );
  return html`<form method="post" action="/ui/memories/delete" data-confirm="Delete the selected memories? Their history stays readable.">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="return_to" value="${returnTo}">
<div class="actions"><button type="submit" class="danger" data-selected-label="Delete selected">Delete selected</button></div>
<table>
<caption class="sr-only">Memories</caption>
<thead><tr>
<th scope="col"><input type="checkbox" id="select-all" data-select-all aria-label="Select all memories on this page"></th>
<th scope="col">Memory</th><th scope="col">Type</th><th scope="col">Namespace / user</th><th scope="col">Created</th>
<th scope="col" class="num">Importance</th>${searching ? html`<th scope="col" class="num">Score</th>` : nothing}<th scope="col">Pin</th>
</tr></thead>
<tbody>${results.map(
    (m, i) => html`<tr>
<td><input type="checkbox" name="ids" value="${m.id}" id="sel-${i}" aria-label="Select memory ${excerpt(m.text, 60)}"></td>
<td class="text"><a href="/ui/memory${queryString({ id: m.id })}">${excerpt(m.text)}</a>${m.pinned ? html` <span class="badge pin">pinned</span>` : nothing}
${chips('topics', m.topics)}</td>
<td>${m.memory_type}</td>
<td>${m.namespace ?? html`<span class="muted">none</span>`}${m.user_id ? html`<br><span class="muted">${m.user_id}</span>` : nothing}</td>
<td>${when(m.created_at)}</td>
<td class="num">${m.importance.toFixed(2)}</td>
${searching ? html`<td class="num">${m.score.toFixed(3)}</td>` : nothing}
<td><button type="submit" form="pin-${i}" class="link" aria-label="${m.pinned ? 'Unpin' : 'Pin'} memory ${excerpt(m.text, 60)}">${m.pinned ? 'Unpin' : 'Pin'}</button></td>
</tr>`,
  )}</tbody></table>
</form>
${pinForms}`;
}

export function memoryPages(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui/memories', async (c) => {
    const q = ui.query(c, MemoryQuery);
    const api = c.get('api');
    // Looking is not using: the dashboard's searches leave access times alone, so they never keep a memory from
    // being forgotten.
    const [results, stats] = await Promise.all([
      api.longTerm.search(searchRequestOf(q), { touch: false }),
      api.stats({}),
    ]);
    const perPage = Number(q.per_page);
    const first = (q.page - 1) * perPage;
    const searching = Boolean(q.q);
    const query = currentQuery(c);
    const returnTo = `/ui/memories${queryString({ ...query, page: q.page > 1 ? String(q.page) : undefined })}`;
    const pages = Math.max(1, Math.ceil(results.total / perPage));
    const summary = results.total
      ? `${searching ? `${plural(results.total, 'memory', 'memories')} match (${q.mode})` : plural(results.total, 'memory', 'memories')}; showing ${count(first + 1)}–${count(first + results.memories.length)}`
      : '';
    const pager = html`<nav class="pager" aria-label="Pages">
${q.page > 1 ? html`<a href="/ui/memories${queryString({ ...query, page: String(q.page - 1) })}" rel="prev">Previous page</a>` : nothing}
<span>Page ${count(q.page)} of ${count(pages)}</span>
${results.next_offset !== null ? html`<a href="/ui/memories${queryString({ ...query, page: String(q.page + 1) })}" rel="next">Next page</a>` : nothing}
</nav>`;
    const body = html`<h1>Memories</h1>
${searchForm(q)}
<div class="layout">
${sidebar(stats, q, results.memories)}
<section aria-labelledby="results-title">
<h2 id="results-title">${searching ? 'Results' : 'Newest first'}</h2>
${summary ? html`<p role="status">${summary}</p>` : nothing}
${resultRows(results.memories, searching, returnTo, ui.csrf(c))}
${results.total > perPage ? pager : nothing}
</section>
</div>`;
    return ui.render(c, { title: searching ? `Search: ${q.q}` : 'Memories', section: 'memories' }, body);
  });

  app.post('/ui/memories/delete', async (c) => {
    const form = await ui.form(c, BulkDeleteForm);
    const deleted = await c.get('api').longTerm.delete(form.ids);
    return ui.redirect(c, form.return_to ?? '/ui/memories', `Deleted ${plural(deleted, 'memory', 'memories')}.`);
  });
}
