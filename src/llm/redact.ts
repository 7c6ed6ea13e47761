/** Provider error bodies can echo part of a key (OpenAI's 401 does); nothing of it may reach logs or clients. */
export function redact(message: string, ...secrets: (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  // OpenAI keys (sk-..., sk-proj-...) and Anthropic keys (sk-ant-...).
  return out.replace(/\bsk-[A-Za-z0-9_*.-]{6,}/g, 'sk-***');
}

/** The endpoint as it may be shown: user:password in a base URL is a credential too. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/**
 * An error as one line. The SDKs' connection errors say only "Connection error."; the useful part
 * (ECONNREFUSED...) is in the causes, so up to three of them are appended.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.constructor.name === 'APIConnectionError' || err.name === 'APIConnectionError') {
    const causes: string[] = [];
    for (let c: unknown = err.cause; c instanceof Error && causes.length < 3; c = c.cause) {
      const code = (c as { code?: unknown }).code;
      causes.push(typeof code === 'string' ? code : c.message);
    }
    if (causes.length > 0) return `${err.message} (${causes.join(': ')})`;
  }
  return err.message;
}
