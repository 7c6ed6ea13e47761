import type { Identity } from '../auth/identity.js';
import { type Html, html, nothing } from './html.js';

export type Section = 'overview' | 'memories' | 'sessions' | 'activity' | 'forget';

const SECTIONS: readonly (readonly [Section, string, string])[] = [
  ['overview', 'Overview', '/ui'],
  ['memories', 'Memories', '/ui/memories'],
  ['sessions', 'Sessions', '/ui/sessions'],
  ['activity', 'Activity', '/ui/activity'],
  ['forget', 'Forgetting', '/ui/forget'],
];

export interface Chrome {
  title: string;
  section?: Section;
  /** Absent on the sign-in page and on errors before sign-in: no navigation then. */
  identity?: Identity;
  csrf: string;
  flash?: string;
}

/** Who is signed in, as a person reads it: what the token may see and do. */
export function describeIdentity(identity: Identity): string {
  if (identity.kind === 'anonymous') return 'Auth disabled (loopback): full access';
  const where = identity.namespace === null ? 'all namespaces' : `namespace ${identity.namespace}`;
  const user = identity.user_id ? `, user ${identity.user_id}` : '';
  return `${identity.subject}: ${where}${user}, ${identity.access} access`;
}

function nav(chrome: Chrome & { identity: Identity }): Html {
  return html`<nav aria-label="Dashboard">
<ul>${SECTIONS.map(
    ([key, label, href]) =>
      html`<li><a href="${href}"${chrome.section === key ? html` aria-current="page"` : nothing}>${label}</a></li>`,
  )}</ul>
</nav>
<div class="who"><span>${describeIdentity(chrome.identity)}</span>${
    chrome.identity.kind === 'anonymous'
      ? nothing
      : html`<form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${chrome.csrf}"><button type="submit">Sign out</button></form>`
  }</div>`;
}

/** The page around every view: skip link, navigation, the one-time message, then the view. */
export function layout(chrome: Chrome, body: Html): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${chrome.title} · agent-memory</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
<script type="module" src="/ui/assets/dashboard.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/ui">agent-memory</a>
${chrome.identity ? nav({ ...chrome, identity: chrome.identity }) : nothing}
</header>
<main id="main" tabindex="-1">
${chrome.flash ? html`<p class="flash" role="status">${chrome.flash}</p>` : nothing}
${body}
</main>
</body>
</html>
`.toString();
}
