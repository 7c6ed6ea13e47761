import { createHash } from 'node:crypto';

/** The key of a text in the embedding caches (and of nothing else): sha256 of its UTF-8 bytes, in hex. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
