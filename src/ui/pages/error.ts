import { type Html, html } from '../html.js';

const TITLES: Record<number, string> = {
  400: 'That request could not be done',
  401: 'Sign-in needed',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  412: 'Changed meanwhile',
  413: 'Too large',
  429: 'Too many requests',
  503: 'Unavailable',
};

/** An error as a page: what happened, in the engine's own words, and a way on. */
export function errorView(status: number, message: string): Html {
  return html`<h1>${TITLES[status] ?? 'Error'}</h1>
<p class="error-box" role="alert">${message}</p>
<p><a href="/ui">Back to the overview</a> · <a href="/ui/memories">Memories</a></p>`;
}
