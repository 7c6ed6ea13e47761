/**
 * A browser without a browser, for the dashboard's HTTP tests: keeps the cookies the server sets (the sign-in and
 * CSRF cookies), follows nothing by itself, and posts forms with the CSRF token of the last page it read.
 */
export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class Visitor {
  readonly cookies = new Map<string, string>();
  /** The _csrf value of the last page read that had a form. */
  csrf = '';

  constructor(readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, decodeURIComponent(value));
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
  }

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: { ...(this.cookies.size ? { Cookie: this.cookieHeader() } : {}), ...init.headers },
      body: init.body,
    });
    this.remember(res);
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]*)"/.exec(text);
    if (csrf?.[1]) this.csrf = csrf[1];
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') } as PageResponse;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  /** Posts a urlencoded form; `_csrf` is this visitor's token unless the fields give one (or null for none). */
  post(path: string, fields: Record<string, string | string[] | null>, headers: Record<string, string> = {}) {
    const form = new URLSearchParams();
    if (!('_csrf' in fields)) form.set('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) {
      if (v === null) continue;
      for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
    }
    return this.request('POST', path, {
      body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  /** Reads the sign-in page (for its CSRF token), then signs in with `token`. */
  async signIn(token: string): Promise<PageResponse> {
    await this.get('/ui/login');
    return this.post('/ui/login', { token });
  }
}
