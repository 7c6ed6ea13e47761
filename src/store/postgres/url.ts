import { MemoryError } from '../../errors.js';

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** postgres:// and postgresql:// are the schemes libpq and node-postgres read. */
export function checkDatabaseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MemoryError('invalid', 'DATABASE_URL is not a URL: expected postgres://user:password@host:5432/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new MemoryError(
      'invalid',
      `DATABASE_URL must start with postgres:// or postgresql://, got ${JSON.stringify(u.protocol)}`,
    );
  }
}
