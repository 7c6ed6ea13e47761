import type { Hono } from 'hono';
import type { Authenticator } from '../../auth/authenticator.js';
import { AuthFailure } from '../../auth/oauth2.js';
import type { AuthMode } from '../../config.js';
import type { AppEnv } from '../../http/env.js';
import { LoginForm, ReturnTo } from '../forms.js';
import { type Html, html, nothing } from '../html.js';
import { formBody, type Ui, type UiContext } from '../kit.js';
import { signIn, signOut } from '../session.js';

function loginView(
  ui: Ui,
  c: UiContext,
  opts: { next?: string; error?: string; notice?: string; authMode: AuthMode },
): Html {
  const kind =
    opts.authMode === 'oauth2'
      ? 'an OAuth2 access token from your identity provider'
      : html`an API token (<code>agent-memory token add --namespace NAME --scope read|write|admin</code>)`;
  return html`<div class="login">
<h1>Sign in</h1>
<p>Paste ${kind}. The dashboard then shows and changes exactly what that token may: its namespace, its user, and
only what its access level allows.</p>
${opts.error ? html`<p class="error-box" role="alert">${opts.error}</p>` : nothing}
${opts.notice ? html`<p class="note" role="status">${opts.notice}</p>` : nothing}
<form method="post" action="/ui/login">
<input type="hidden" name="_csrf" value="${ui.csrf(c)}">
${opts.next ? html`<input type="hidden" name="next" value="${opts.next}">` : nothing}
<div class="field">
<label for="f-token">Token</label>
<input id="f-token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus aria-describedby="f-token-hint">
<small id="f-token-hint">Kept in an HttpOnly cookie for this browser session; sign out to forget it.</small>
</div>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>
</div>`;
}

export function loginPages(app: Hono<AppEnv>, ui: Ui, authMode: AuthMode, authenticate: Authenticator): void {
  app.get('/ui/login', (c) => {
    if (authMode === 'disabled') return c.redirect('/ui', 303);
    const next = ReturnTo.safeParse(c.req.query('next'));
    const view = loginView(ui, c, {
      authMode,
      next: next.success ? next.data : undefined,
      // A fixed text: nothing from the URL is shown on this page.
      notice: c.req.query('expired') === '1' ? 'Sign in to continue.' : undefined,
    });
    return ui.render(c, { title: 'Sign in' }, view);
  });

  app.post('/ui/login', async (c) => {
    if (authMode === 'disabled') return c.redirect('/ui', 303);
    const parsed = LoginForm.safeParse(await formBody(c));
    if (!parsed.success) {
      const view = loginView(ui, c, { authMode, error: 'Paste a token to sign in.' });
      return ui.render(c, { title: 'Sign in' }, view, 400);
    }
    try {
      // The same check every request makes: a token that cannot call the API cannot sign in.
      await authenticate(`Bearer ${parsed.data.token}`);
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      const view = loginView(ui, c, { authMode, next: parsed.data.next, error: err.message });
      return ui.render(c, { title: 'Sign in' }, view, err.status);
    }
    signIn(c, ui.settings, parsed.data.token);
    return c.redirect(parsed.data.next ?? '/ui', 303);
  });

  app.post('/ui/logout', (c) => {
    signOut(c, ui.settings);
    return ui.redirect(c, authMode === 'disabled' ? '/ui' : '/ui/login', 'Signed out.');
  });
}
