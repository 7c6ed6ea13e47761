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
