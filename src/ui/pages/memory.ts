import type { Hono } from 'hono';
import { MemoryError } from '../../errors.js';
import type { AppEnv } from '../../http/env.js';
import type { ActivityEvent, MemoryHistory } from '../../models/activity.js';
import { type MemoryRecord, MemoryRecordPatch, MemoryType } from '../../models/memory-record.js';
import { when } from '../format.js';
import { DeleteForm, EditForm, MemoryIdQuery, PinForm, patchOf } from '../forms.js';
import { type Html, html, nothing, queryString, selectField, textField } from '../html.js';
import { parseWith, type Ui, type UiContext } from '../kit.js';

const detailUrl = (id: string) => `/ui/memory${queryString({ id })}`;

/** Fields whose change a history entry names (the text is shown in full beside it). */
const TRACKED = [
  'memory_type',
  'topics',
  'entities',
  'importance',
  'pinned',
  'event_date',
  'namespace',
  'user_id',
] as const;

function changedFields(e: ActivityEvent): string[] {
  if (!e.before || !e.after) return [];
  const before = e.before;
  const after = e.after;
  return TRACKED.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f])).map(
    (f) => `${f}: ${JSON.stringify(before[f])} → ${JSON.stringify(after[f])}`,
  );
}

function historyView(history: MemoryHistory): Html {
  if (!history.events.length)
    return html`<p class="muted">No recorded changes (older ones may have passed retention).</p>`;
  return html`<ol class="history">${history.events.map((e) => {
    const textChanged = e.before && e.after && e.before.text !== e.after.text;
    const fields = changedFields(e);
    return html`<li>
<span class="action">${e.action}</span> ${when(e.at)} <span class="muted">by ${e.actor}</span>
${textChanged ? html`<div class="diff"><div class="before"><span class="sr-only">Before: </span>${e.before!.text}</div><div class="after"><span class="sr-only">After: </span>${e.after!.text}</div></div>` : nothing}
${!textChanged && !e.before && e.after ? html`<div class="diff"><div class="after">${e.after.text}</div></div>` : nothing}
${!textChanged && e.before && !e.after ? html`<div class="diff"><div class="before">${e.before.text}</div></div>` : nothing}
${fields.length ? html`<ul>${fields.map((f) => html`<li>${f}</li>`)}</ul>` : nothing}
</li>`;
  })}</ol>`;
}

function props(m: MemoryRecord): Html {
  const session = m.session_id
    ? html`<a href="/ui/session${queryString({ id: m.session_id, namespace: m.namespace, user_id: m.user_id })}">${m.session_id}</a>`
    : html`<span class="muted">none</span>`;
  return html`<dl class="props">
<dt>Id</dt><dd><code>${m.id}</code></dd>
<dt>Namespace</dt><dd>${m.namespace ?? 'none'}</dd>
<dt>User</dt><dd>${m.user_id ?? 'none'}</dd>
<dt>Session</dt><dd>${session}</dd>
<dt>Created</dt><dd>${when(m.created_at)}</dd>
<dt>Updated</dt><dd>${when(m.updated_at)}</dd>
<dt>Last accessed</dt><dd>${when(m.last_accessed)} (${m.access_count} accesses)</dd>
<dt>Extraction</dt><dd>${m.extraction_strategy}${m.extracted_from.length ? ` from ${m.extracted_from.join(', ')}` : ''}</dd>
${Object.keys(m.metadata).length ? html`<dt>Metadata</dt><dd><pre class="json">${JSON.stringify(m.metadata, null, 2)}</pre></dd>` : nothing}
</dl>`;
}

// HTML drops one newline right after <textarea>: the form puts one there, so a text's own first newline survives.
function editForm(m: MemoryRecord, csrf: string, error?: string, draft?: Record<string, string>): Html {
  const v = (k: string, fallback: string) => draft?.[k] ?? fallback;
  return html`<form method="post" action="/ui/memory/edit" aria-labelledby="edit-title">
<h2 id="edit-title">Correct this memory</h2>
${error ? html`<p class="error-box" role="alert">${error}</p>` : nothing}
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${m.id}">
<div class="field"><label for="f-text">Text</label>
<textarea id="f-text" name="text" required>
${v('text', m.text)}</textarea></div>
<div class="grid">
${selectField({ name: 'memory_type', label: 'Type', value: v('memory_type', m.memory_type), options: MemoryType.options.map((t) => [t, t] as const) })}
${textField({ name: 'topics', label: 'Topics', value: v('topics', m.topics.join(', ')), hint: 'Comma-separated' })}
${textField({ name: 'entities', label: 'Entities', value: v('entities', m.entities.join(', ')), hint: 'Comma-separated' })}
${textField({ name: 'importance', label: 'Importance', value: v('importance', String(m.importance)), type: 'number', hint: '0 to 1', attrs: html` min="0" max="1" step="0.05"` })}
${textField({ name: 'event_date', label: 'Event date', value: v('event_date', m.event_date ?? ''), hint: 'ISO 8601, e.g. 2026-05-01T12:00:00Z; empty for none' })}
<div class="field check"><input id="f-pinned" name="pinned" type="checkbox"${(draft ? draft.pinned === 'on' : m.pinned) ? html` checked` : nothing}><label for="f-pinned">Pinned (never forgotten, never decays)</label></div>
</div>
<div class="actions"><button type="submit" class="primary">Save changes</button></div>
</form>`;
}

async function renderDetail(ui: Ui, c: UiContext, id: string, edit?: { error: string; draft: Record<string, string> }) {
  const api = c.get('api');
  const record = await api.longTerm.get(id).catch((err: unknown) => {
    if (err instanceof MemoryError && err.kind === 'not_found') return null;
    throw err;
  });
  // A deleted memory keeps its history; with neither, the engine answers not found (404).
  const history = await api.activity.history(id);
  const csrf = ui.csrf(c);
  const actions = record
    ? html`<div class="actions">
<form method="post" action="/ui/memory/pin"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${record.id}">
<input type="hidden" name="pinned" value="${record.pinned ? 'false' : 'true'}"><input type="hidden" name="return_to" value="${detailUrl(record.id)}">
<button type="submit">${record.pinned ? 'Unpin' : 'Pin'}</button></form>
<form method="post" action="/ui/memory/delete" data-confirm="Delete this memory? Its history stays readable.">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${record.id}">
<button type="submit" class="danger">Delete</button></form>
</div>`
    : nothing;
  const body = html`<p><a href="/ui/memories">← All memories</a></p>
<h1>${record ? 'Memory' : 'Deleted memory'} <code>${id}</code></h1>
${record ? nothing : html`<p class="note">This memory is gone; its history is kept until its user is erased or retention removes it.</p>`}
${record ? html`<p class="summary">${record.text}</p>${record.pinned ? html`<p><span class="badge pin">pinned</span></p>` : nothing}` : nothing}
${actions}
${record ? props(record) : nothing}
${record ? editForm(record, csrf, edit?.error, edit?.draft) : nothing}
<h2>History</h2>
${historyView(history)}`;
  return ui.render(c, { title: `Memory ${id}`, section: 'memories' }, body, edit ? 400 : 200);
}

export function memoryDetailPages(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui/memory', async (c) => renderDetail(ui, c, ui.query(c, MemoryIdQuery).id));

  app.post('/ui/memory/edit', async (c) => {
    const form = await ui.form(c, EditForm);
    const api = c.get('api');
    const current = await api.longTerm.get(form.id);
    try {
      const patch = parseWith(MemoryRecordPatch, patchOf(form, current), 'Not saved');
      if (Object.keys(patch).length === 0) return ui.redirect(c, detailUrl(form.id), 'Nothing changed.');
      await api.longTerm.edit(form.id, patch);
    } catch (err) {
      if (!(err instanceof MemoryError && err.kind === 'invalid')) throw err;
      // The form comes back as typed, with the reason, rather than losing the correction.
      const draft = {
        text: form.text,
        memory_type: form.memory_type,
        topics: form.topics,
        entities: form.entities,
        importance: form.importance === undefined ? '' : String(form.importance),
        event_date: form.event_date,
        pinned: form.pinned ?? '',
      };
      return renderDetail(ui, c, form.id, { error: err.message, draft });
    }
    return ui.redirect(c, detailUrl(form.id), 'Saved. The change is in the history below.');
  });

  app.post('/ui/memory/pin', async (c) => {
    const form = await ui.form(c, PinForm);
    const pinned = form.pinned === 'true';
    await c.get('api').longTerm.edit(form.id, { pinned });
    return ui.redirect(c, form.return_to ?? detailUrl(form.id), pinned ? 'Pinned.' : 'Unpinned.');
  });

  app.post('/ui/memory/delete', async (c) => {
    const form = await ui.form(c, DeleteForm);
    const deleted = await c.get('api').longTerm.delete([form.id]);
    const message = deleted ? `Deleted memory ${form.id}.` : `Memory ${form.id} was already gone.`;
    return ui.redirect(c, form.return_to ?? '/ui/memories', message);
  });
}
