import type { Hono } from 'hono';
import type { MemoryEngine } from '../../core/engine.js';
import { invalid, MemoryError } from '../../errors.js';
import type { AppEnv } from '../../http/env.js';
import type { ForgetReport } from '../../models/forget.js';
import { type MemoryRecord, MemoryType } from '../../models/memory-record.js';
import { count, excerpt, plural, when } from '../format.js';
import { EraseForm, ForgetForm, forgetCallOf } from '../forms.js';
import { type Html, html, nothing, queryString, textField } from '../html.js';
import type { Ui, UiContext } from '../kit.js';

/** How many of the memories a preview selects are shown with their text. */
const SHOWN = 100;
/** "Decays next" lists this many: the lowest recency scores in scope. */
const NEXT_TO_DECAY = 10;

type Form = ReturnType<typeof ForgetForm.parse>;

const EMPTY_FORM: Form = ForgetForm.parse({});

function policyFields(f: Form): Html {
  return html`<fieldset><legend>Policy</legend><div class="grid">
${textField({ name: 'max_age_days', label: 'Older than (days)', value: f.max_age_days, type: 'number', hint: 'Created more than this many days ago', attrs: html` min="0" step="any"` })}
${textField({ name: 'max_inactive_days', label: 'Unused for (days)', value: f.max_inactive_days, type: 'number', hint: 'Not found or read for this long', attrs: html` min="0" step="any"` })}
${textField({ name: 'budget', label: 'Keep at most', value: f.budget, type: 'number', hint: 'Keeps the most recently used and newest', attrs: html` min="0" step="1"` })}
${textField({ name: 'hard_age_multiplier', label: 'Hard age multiplier', value: f.hard_age_multiplier, type: 'number', hint: 'With both ages: older than age × this goes even if used (12)', attrs: html` min="1" step="any"` })}
${textField({ name: 'pinned_ids', label: 'Also keep these ids', value: f.pinned_ids, hint: 'Comma-separated; pinned memories are always kept' })}
</div>
<fieldset><legend>Only these types (none ticked: every type)</legend><div class="check">${MemoryType.options.map(
    (t) =>
      html`<span class="check"><input type="checkbox" id="f-type-${t}" name="types" value="${t}"${f.types.includes(t) ? html` checked` : nothing}><label for="f-type-${t}">${t}</label></span>`,
  )}</div></fieldset>
</fieldset>
<fieldset><legend>Where</legend><div class="grid">
${textField({ name: 'namespace', label: 'Namespace', value: f.namespace, hint: 'Empty: every namespace this token may see' })}
${textField({ name: 'user_id', label: 'User', value: f.user_id })}
${textField({ name: 'session_id', label: 'Session', value: f.session_id })}
${textField({ name: 'limit', label: 'Look at the oldest', value: f.limit, type: 'number', hint: 'Empty: every memory in scope', attrs: html` min="1" step="1"` })}
</div></fieldset>`;
}

/** The same choices again as hidden fields, so "apply" runs exactly the policy that was previewed. */
function hiddenPolicy(f: Form): Html {
  const entries: [string, string][] = [];
  for (const key of ['max_age_days', 'max_inactive_days', 'budget', 'hard_age_multiplier', 'limit'] as const) {
    if (f[key] !== undefined) entries.push([key, String(f[key])]);
  }
  for (const key of ['pinned_ids', 'namespace', 'user_id', 'session_id'] as const) {
    if (f[key] !== undefined) entries.push([key, f[key]]);
  }
  for (const t of f.types) entries.push(['types', t]);
  return html`${entries.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

async function recordsOf(api: MemoryEngine, ids: string[]): Promise<(MemoryRecord | null)[]> {
  return Promise.all(ids.slice(0, SHOWN).map((id) => api.longTerm.get(id).catch(() => null)));
}

function selectedTable(ids: string[], records: (MemoryRecord | null)[]): Html {
  if (!ids.length) return html`<p class="note">Nothing would be forgotten.</p>`;
  return html`<table><caption class="sr-only">Memories selected</caption>
<thead><tr><th scope="col">Memory</th><th scope="col">Type</th><th scope="col">Created</th><th scope="col">Last accessed</th><th scope="col" class="num">Accesses</th></tr></thead>
<tbody>${records.map((m, i) =>
    m
      ? html`<tr><td class="text"><a href="/ui/memory${queryString({ id: m.id })}">${excerpt(m.text, 160)}</a></td><td>${m.memory_type}</td><td>${when(m.created_at)}</td><td>${when(m.last_accessed)}</td><td class="num">${m.access_count}</td></tr>`
      : html`<tr><td colspan="5">${ids[i]} <span class="muted">(gone meanwhile)</span></td></tr>`,
  )}</tbody></table>
${ids.length > SHOWN ? html`<p class="muted">And ${plural(ids.length - SHOWN, 'more memory', 'more memories')}.</p>` : nothing}`;
}

function eraseForm(csrf: string, error?: string, draft?: { user_id?: string; namespace?: string }): Html {
  return html`<form method="post" action="/ui/users/erase" aria-labelledby="erase-title">
<h2 id="erase-title">Erase a user</h2>
<p>Deletes the user's sessions, long-term memories, their history and activity, background tasks and cached
vectors, leaving no trace of their text in the store. This cannot be undone.</p>
${error ? html`<p class="error-box" role="alert">${error}</p>` : nothing}
<input type="hidden" name="_csrf" value="${csrf}">
<div class="grid">
${textField({ name: 'user_id', id: 'erase-user', label: 'User id', value: draft?.user_id, required: true })}
${textField({ name: 'namespace', id: 'erase-namespace', label: 'Only in namespace', value: draft?.namespace, hint: 'Empty: every namespace this token may see' })}
<div class="field"><label for="erase-confirm">Type the user id again to confirm</label>
<input id="erase-confirm" name="confirm" type="text" autocomplete="off" required data-must-equal="erase-user"></div>
</div>
<div class="actions"><button type="submit" class="danger">Erase this user</button></div>
</form>`;
}

function forgetView(
  ui: Ui,
  c: UiContext,
  f: Form,
  result?: { report: ForgetReport; records: (MemoryRecord | null)[]; decay: boolean },
  erase?: { error: string; draft: { user_id?: string; namespace?: string } },
): Html {
  const csrf = ui.csrf(c);
  const preview = result
    ? html`<section aria-labelledby="preview-title">
<h2 id="preview-title">${result.decay ? `Next to decay: the ${NEXT_TO_DECAY} lowest recency scores` : 'Preview (dry run)'}</h2>
<p role="status">${result.decay ? `Of ${plural(result.report.scanned, 'memory', 'memories')} looked at, these would go first under a budget.` : `${plural(result.report.deleted, 'memory', 'memories')} of ${count(result.report.scanned)} looked at would be forgotten.`}</p>
${selectedTable(result.report.deleted_ids, result.records)}
${
  !result.decay && result.report.deleted > 0
    ? html`<form method="post" action="/ui/forget" data-confirm="Forget these memories now? This deletes them (their history stays).">
<input type="hidden" name="_csrf" value="${csrf}">${hiddenPolicy(f)}
<p class="muted">Applying runs the same policy again now, so memories that crossed its threshold since the preview go too.</p>
<button type="submit" name="intent" value="apply" class="danger">Apply: forget ${plural(result.report.deleted, 'memory', 'memories')}</button>
</form>`
    : nothing
}
</section>`
    : nothing;
  return html`<h1>Forgetting</h1>
<p>Choose what to forget by age, by disuse or by a budget, look at what it would remove, then apply it. Pinned
memories never go. Every removal stays in the memory's history.</p>
<form method="post" action="/ui/forget" aria-label="Forgetting policy">
<input type="hidden" name="_csrf" value="${csrf}">
${policyFields(f)}
<div class="actions">
<button type="submit" name="intent" value="preview" class="primary">Preview</button>
<button type="submit" name="intent" value="decay">Show what decays next</button>
</div>
</form>
${preview}
${eraseForm(csrf, erase?.error, erase?.draft)}`;
}

export function forgetPages(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui/forget', (c) => ui.render(c, { title: 'Forgetting', section: 'forget' }, forgetView(ui, c, EMPTY_FORM)));

  app.post('/ui/forget', async (c) => {
    const f = await ui.form(c, ForgetForm);
    const api = c.get('api');
    if (f.intent === 'apply') {
      const { body, scope } = forgetCallOf(f, false);
      const report = await api.forget(body, scope);
      return ui.redirect(
        c,
        '/ui/forget',
        `Forgot ${plural(report.deleted, 'memory', 'memories')} (${count(report.scanned)} looked at).`,
      );
    }
    let form = f;
    if (f.intent === 'decay') {
      // The lowest recency scores are what a budget removes first: keep all but the last few, as a dry run. (The
      // counts are per namespace and user, so this looks at those, not at one session.)
      const stats = await api.stats({ namespace: f.namespace, user_id: f.user_id });
      const candidates = stats.long_term_memories - stats.pinned;
      form = { ...EMPTY_FORM, namespace: f.namespace, user_id: f.user_id, intent: 'decay' };
      form.budget = Math.max(0, candidates - NEXT_TO_DECAY);
    }
    const { body, scope } = forgetCallOf(form, true);
    const report = await api.forget(body, scope);
    const records = await recordsOf(api, report.deleted_ids);
    const view = forgetView(ui, c, f.intent === 'decay' ? f : form, { report, records, decay: f.intent === 'decay' });
    return ui.render(c, { title: 'Forgetting', section: 'forget' }, view);
  });

  app.post('/ui/users/erase', async (c) => {
    const f = await ui.form(c, EraseForm);
    try {
      if (f.confirm !== f.user_id) {
        throw invalid(`Not erased: type the user id "${f.user_id}" exactly in the confirmation box.`);
      }
      const report = await c.get('api').eraseUser({ user_id: f.user_id, namespace: f.namespace });
      return ui.redirect(
        c,
        '/ui/forget',
        `Erased user ${report.user_id}: ${plural(report.memories, 'memory', 'memories')}, ${plural(report.sessions, 'session')}, ${plural(report.activity_events, 'activity event')}.`,
      );
    } catch (err) {
      if (!(err instanceof MemoryError && err.kind === 'invalid')) throw err;
      const view = forgetView(ui, c, EMPTY_FORM, undefined, { error: err.message, draft: f });
      return ui.render(c, { title: 'Forgetting', section: 'forget' }, view, 400);
    }
  });
}
