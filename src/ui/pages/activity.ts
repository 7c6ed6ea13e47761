import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../../http/env.js';
import { ACTIVITY_ACTIONS, type ActivityEvent } from '../../models/activity.js';
import { excerpt, when } from '../format.js';
import { ActivityFilterQuery, activityQueryOf } from '../forms.js';
import { type Html, html, nothing, queryString, selectField, textField } from '../html.js';
import type { Ui } from '../kit.js';

const PAGE_SIZE = 50;
/** An idle stream still sends a comment this often, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;

function target(e: ActivityEvent): Html {
  if (e.resource === 'memory') return html`<a href="/ui/memory${queryString({ id: e.target_id })}">${e.target_id}</a>`;
  if (e.resource === 'session' && e.action !== 'delete') {
    return html`<a href="/ui/session${queryString({ id: e.target_id, namespace: e.namespace, user_id: e.user_id })}">${e.target_id}</a>`;
  }
  return html`${e.target_id}`;
}

/** What the event changed, in a few words: the memory's text, or the counts the event carries. */
function what(e: ActivityEvent): Html {
  const record = e.after ?? e.before;
  if (record) return html`${excerpt(record.text, 140)}`;
  const parts = Object.entries(e.details)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`);
  return parts.length ? html`${parts.join(', ')}` : html`<span class="muted">—</span>`;
}

/** One row of the table; the live stream sends the same markup, rendered and escaped here. */
export function activityRow(e: ActivityEvent): Html {
  return html`<tr data-event-id="${e.id}" data-summary="${e.action} ${e.resource} ${e.target_id}">
<td>${when(e.at)}</td><td><span class="badge">${e.action}</span></td><td>${e.resource}</td><td>${target(e)}</td>
<td>${e.namespace ?? html`<span class="muted">none</span>`}${e.user_id ? html`<br><span class="muted">${e.user_id}</span>` : nothing}</td>
<td>${e.actor}</td><td class="text">${what(e)}</td></tr>`;
}

export function activityPages(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui/activity', async (c) => {
    const f = ui.query(c, ActivityFilterQuery);
    const query = activityQueryOf(f, true);
    const page = await c.get('api').activity.page({ ...query, limit: String(PAGE_SIZE) });
    const filters = activityQueryOf(f, false);
    const live = !f.cursor;
    const streamUrl = `/ui/activity/stream${queryString(filters)}`;
    const body = html`<h1>Activity</h1>
<form method="get" action="/ui/activity" data-clean aria-label="Filter the activity">
<fieldset><legend>Actions</legend><div class="check">${ACTIVITY_ACTIONS.map(
      (a) =>
        html`<span class="check"><input type="checkbox" id="f-action-${a}" name="action" value="${a}"${f.action.includes(a) ? html` checked` : nothing}><label for="f-action-${a}">${a}</label></span>`,
    )}</div></fieldset>
<div class="search-row">
${selectField({
  name: 'resource',
  label: 'Resource',
  value: f.resource,
  options: [
    ['', 'Any'],
    ['memory', 'Memories'],
    ['session', 'Sessions'],
    ['user', 'Users'],
  ],
})}
${textField({ name: 'namespace', label: 'Namespace', value: f.namespace })}
${textField({ name: 'user_id', label: 'User', value: f.user_id })}
${textField({ name: 'session_id', label: 'Session', value: f.session_id })}
<div class="actions"><button type="submit" class="primary">Filter</button> <a href="/ui/activity">Reset</a></div>
</div>
</form>
${
  live
    ? html`<p><span id="live-status" class="live" data-state="connecting" role="status">Connecting to the live stream…</span></p>
<p id="live-announce" class="sr-only" aria-live="polite"></p>`
    : html`<p><a href="/ui/activity${queryString(filters)}">Back to the newest events (live)</a></p>`
}
<table><caption class="sr-only">Activity, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Target</th><th scope="col">Namespace / user</th><th scope="col">Actor</th><th scope="col">What</th></tr></thead>
<tbody${live ? html` data-live-src="${streamUrl}"` : nothing}>
${page.events.length ? page.events.map(activityRow) : html`<tr id="no-events"><td colspan="7" class="muted">No events yet.</td></tr>`}
</tbody></table>
${page.next_cursor ? html`<nav class="pager" aria-label="Pages"><a rel="next" href="/ui/activity${queryString({ ...filters, cursor: page.next_cursor })}">Older events</a></nav>` : nothing}`;
    return ui.render(c, { title: 'Activity', section: 'activity' }, body);
  });

  app.get('/ui/activity/stream', async (c) => {
    const f = ui.query(c, ActivityFilterQuery);
    const abort = new AbortController();
    // Checked before the stream opens, so a bad filter is an error page rather than a broken stream.
    const events = await c
      .get('api')
      .activity.follow(activityQueryOf(f, false), c.req.header('last-event-id'), abort.signal);
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      const keepAlive = setInterval(() => {
        stream.write(': keep-alive\n\n').catch(() => abort.abort());
      }, KEEP_ALIVE_MS);
      try {
        await stream.writeSSE({ event: 'ready', data: '{}' });
        for await (const e of events) {
          await stream.writeSSE({ event: 'activity', id: e.id, data: activityRow(e).toString() });
        }
      } finally {
        clearInterval(keepAlive);
        abort.abort();
      }
    });
  });
}
