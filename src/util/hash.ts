import { createHash } from 'node:crypto';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Same identity fields as the reference server: equal text in the same place is the same memory. */
export function memoryHash(r: {
  text: string;
  user_id: string | null;
  session_id: string | null;
  namespace: string | null;
  memory_type: string;
}): string {
  return sha256(JSON.stringify([r.text.trim(), r.user_id ?? '', r.session_id ?? '', r.namespace ?? '', r.memory_type]));
}

/** FNV-1a with murmur3's finaliser: FNV alone mixes the low bits poorly, and callers take indexes and signs from bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
