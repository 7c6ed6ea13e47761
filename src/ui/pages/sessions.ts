import type { Hono } from 'hono';
import { contextWindowFor } from '../../core/model-windows.js';
import { MemoryError } from '../../errors.js';
import type { AppEnv } from '../../http/env.js';
import type { WorkingMemoryResponse } from '../../models/working-memory.js';
import { gauge } from '../charts.js';
import { count, excerpt, plural, when } from '../format.js';
import { ForkForm, SessionDeleteForm, SessionListQuery, SessionQuery } from '../forms.js';
import { type Html, html, nothing, queryString, textField } from '../html.js';
import type { Ui } from '../kit.js';

const PER_PAGE = 25;
/** Newest messages shown on a session's page; the count says how many there are in all. */
const SHOWN_MESSAGES = 200;

const sessionUrl = (s: { session_id: string; namespace?: string | null; user_id?: string | null }) =>
  `/ui/session${queryString({ id: s.session_id, namespace: s.namespace, user_id: s.user_id })}`;

function messagesView(wm: WorkingMemoryResponse, csrf: string): Html {
  if (!wm.messages.length) return html`<p class="muted">No messages.</p>`;
  const hidden = wm.total_messages - wm.messages.length;
  return html`${hidden > 0 ? html`<p class="muted">The newest ${count(wm.messages.length)} of ${plural(wm.total_messages, 'message')}.</p>` : nothing}
<ol class="messages">${wm.messages.map(
    (m) => html`<li>
<span class="role">${m.role}</span> <span class="muted">${when(m.created_at)}</span>
<p class="content">${m.content}</p>
<form method="post" action="/ui/session/fork">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="session_id" value="${wm.session_id}">
${wm.namespace ? html`<input type="hidden" name="namespace" value="${wm.namespace}">` : nothing}
${wm.user_id ? html`<input type="hidden" name="user_id" value="${wm.user_id}">` : nothing}
<input type="hidden" name="at_message_id" value="${m.id}">
<button type="submit" class="link" aria-label="Fork from here: the ${m.role} message ${excerpt(m.content, 50)}">Fork from here</button>
</form></li>`,
  )}</ol>`;
}

export function sessionPages(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui/sessions', async (c) => {
    const q = ui.query(c, SessionListQuery);
    const api = c.get('api');
    const page = await api.workingMemory.list(
      { namespace: q.namespace, user_id: q.user_id },
      PER_PAGE,
      (q.page - 1) * PER_PAGE,
    );
    const rows = await Promise.all(
      page.sessions.map(async (id) => ({
        id,
        session: await api.workingMemory
          .find({ session_id: id, namespace: q.namespace, user_id: q.user_id }, 0)
          .catch((err: unknown) => {
            // One id in several namespaces (or users) is ambiguous until the list is filtered by one.
            if (err instanceof MemoryError && err.kind === 'conflict') return 'ambiguous' as const;
            throw err;
          }),
      })),
    );
    const filters = { namespace: q.namespace, user_id: q.user_id };
    const pages = Math.max(1, Math.ceil(page.total / PER_PAGE));
    const body = html`<h1>Sessions</h1>
<form method="get" action="/ui/sessions" data-clean class="search-row" aria-label="Filter sessions">
${textField({ name: 'namespace', label: 'Namespace', value: q.namespace })}
${textField({ name: 'user_id', label: 'User', value: q.user_id })}
<div class="actions"><button type="submit" class="primary">Filter</button> <a href="/ui/sessions">Reset</a></div>
</form>
<p role="status">${plural(page.total, 'session')}, most recently updated first.</p>
${
  rows.length
    ? html`<table><caption class="sr-only">Sessions</caption>
<thead><tr><th scope="col">Session</th><th scope="col">Namespace / user</th><th scope="col" class="num">Messages</th><th scope="col">Updated</th><th scope="col">Summary</th></tr></thead>
<tbody>${rows.map(({ id, session: s }) =>
        s === 'ambiguous'
          ? html`<tr><td>${id}</td><td colspan="4" class="muted">in several namespaces or users: filter by one to open it</td></tr>`
          : s
            ? html`<tr><td><a href="${sessionUrl(s)}">${id}</a></td>
<td>${s.namespace ?? html`<span class="muted">none</span>`}${s.user_id ? html`<br><span class="muted">${s.user_id}</span>` : nothing}</td>
<td class="num">${count(s.total_messages)}</td><td>${when(s.updated_at)}</td>
<td>${s.context ? excerpt(s.context, 120) : html`<span class="muted">none</span>`}</td></tr>`
            : html`<tr><td>${id}</td><td colspan="4" class="muted">expired meanwhile</td></tr>`,
      )}</tbody></table>`
    : html`<p class="note">No sessions.</p>`
}
${
  page.total > PER_PAGE
    ? html`<nav class="pager" aria-label="Pages">
${q.page > 1 ? html`<a rel="prev" href="/ui/sessions${queryString({ ...filters, page: q.page - 1 })}">Previous page</a>` : nothing}
<span>Page ${count(q.page)} of ${count(pages)}</span>
${q.page < pages ? html`<a rel="next" href="/ui/sessions${queryString({ ...filters, page: q.page + 1 })}">Next page</a>` : nothing}
</nav>`
    : nothing
}`;
    return ui.render(c, { title: 'Sessions', section: 'sessions' }, body);
  });

  app.get('/ui/session', async (c) => {
    const q = ui.query(c, SessionQuery);
    const api = c.get('api');
    // The gauge needs a model: the one asked for, else the server's generation model.
    const model = q.window === undefined ? (q.model ?? api.config.llm.generation.model) : undefined;
    const wm = await api.workingMemory.get(
      { session_id: q.id, namespace: q.namespace, user_id: q.user_id },
      { model_name: model, context_window_max: q.window, recent_messages_limit: SHOWN_MESSAGES },
    );
    const window = contextWindowFor(model, q.window);
    const csrf = ui.csrf(c);
    const key = html`<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="session_id" value="${wm.session_id}">
${wm.namespace ? html`<input type="hidden" name="namespace" value="${wm.namespace}">` : nothing}
${wm.user_id ? html`<input type="hidden" name="user_id" value="${wm.user_id}">` : nothing}`;
    const body = html`<p><a href="/ui/sessions">← All sessions</a></p>
<h1>Session <code>${wm.session_id}</code></h1>
<div class="charts">
${gauge({
  percent: wm.context_percentage_total_used,
  threshold: api.config.features.summarization.threshold,
  caption: 'Context window',
  detail: `${count(wm.tokens)} of ${count(window)} tokens (${q.window === undefined ? model : 'given window'}); summarization starts at the mark (${wm.context_percentage_until_summarization ?? 0}% of the way there)`,
})}
<dl class="props">
<dt>Namespace</dt><dd>${wm.namespace ?? 'none'}</dd>
<dt>User</dt><dd>${wm.user_id ?? 'none'}</dd>
<dt>Messages</dt><dd>${count(wm.total_messages)}</dd>
<dt>Created</dt><dd>${when(wm.created_at)}</dd>
<dt>Updated</dt><dd>${when(wm.updated_at)}</dd>
<dt>Expires</dt><dd>${wm.ttl_seconds ? `${count(wm.ttl_seconds)} s after the last write` : 'never'}</dd>
<dt>Version</dt><dd>${wm.version}</dd>
<dt>Long-term memories</dt><dd><a href="/ui/memories${queryString({ session_id: wm.session_id })}">from this session</a></dd>
</dl>
</div>
<form method="get" action="/ui/session" class="search-row" data-clean aria-label="Context window to measure against">
<input type="hidden" name="id" value="${wm.session_id}">
${wm.namespace ? html`<input type="hidden" name="namespace" value="${wm.namespace}">` : nothing}
${wm.user_id ? html`<input type="hidden" name="user_id" value="${wm.user_id}">` : nothing}
${textField({ name: 'model', label: 'Model', value: q.model ?? model ?? '', hint: 'Its context window sizes the gauge' })}
${textField({ name: 'window', label: 'Or a window in tokens', value: q.window, type: 'number', attrs: html` min="1" step="1"` })}
<div class="actions"><button type="submit">Measure</button></div>
</form>
<h2>Summary</h2>
${wm.context ? html`<p class="summary">${wm.context}</p>` : html`<p class="muted">No summary yet: older messages are summarized when the session outgrows its window.</p>`}
<h2>Fork or delete</h2>
<div class="row-end">
<form method="post" action="/ui/session/fork" class="search-row" aria-label="Fork this session">
${key}
${textField({ name: 'new_session_id', label: 'New session id', hint: 'Empty: a new id' })}
<div class="actions"><button type="submit">Fork the whole session</button></div>
</form>
<form method="post" action="/ui/session/delete" data-confirm="Delete this session and its messages?">
${key}
<button type="submit" class="danger">Delete session</button>
</form>
</div>
<h2>Messages</h2>
${messagesView(wm, csrf)}
${Object.keys(wm.data).length ? html`<h2>Data</h2><pre class="json">${JSON.stringify(wm.data, null, 2)}</pre>` : nothing}`;
    return ui.render(c, { title: `Session ${wm.session_id}`, section: 'sessions' }, body);
  });

  app.post('/ui/session/fork', async (c) => {
    const f = await ui.form(c, ForkForm);
    const fork = await c
      .get('api')
      .workingMemory.fork(
        { session_id: f.session_id, namespace: f.namespace, user_id: f.user_id },
        { new_session_id: f.new_session_id, at_message_id: f.at_message_id },
      );
    return ui.redirect(c, sessionUrl(fork), `Forked ${f.session_id} into ${fork.session_id}.`);
  });

  app.post('/ui/session/delete', async (c) => {
    const f = await ui.form(c, SessionDeleteForm);
    await c.get('api').workingMemory.delete({ session_id: f.session_id, namespace: f.namespace, user_id: f.user_id });
    return ui.redirect(c, '/ui/sessions', `Deleted session ${f.session_id}.`);
  });
}
