/** Access levels, weakest first: each level can do everything the ones before it can. */
export const ACCESS_LEVELS = ['read', 'write', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/**
 * What a caller may touch. `namespace: null` means every namespace (only admin tokens may be unconfined);
 * `user_id` set means the caller is also confined to that user's memories and sessions.
 */
export interface AccessScope {
  namespace: string | null;
  user_id?: string | null;
  access: Access;
}

/** An authenticated caller. `subject` names it in logs and binds MCP sessions to the caller that opened them. */
export interface Identity extends AccessScope {
  kind: 'anonymous' | 'token' | 'oauth2';
  subject: string;
}

export const atLeast = (have: Access, need: Access) => ACCESS_LEVELS.indexOf(have) >= ACCESS_LEVELS.indexOf(need);

export const isAccess = (v: unknown): v is Access =>
  typeof v === 'string' && (ACCESS_LEVELS as readonly string[]).includes(v);

/** The identity of every caller when AUTH_MODE=disabled: unconfined, like stdio. */
export const ANONYMOUS: Identity = {
  kind: 'anonymous',
  subject: 'anonymous',
  namespace: null,
  user_id: null,
  access: 'admin',
};

/** True when the identity is confined to nothing, so the engine can be used as is. */
export const isUnconfined = (s: AccessScope) => s.namespace === null && !s.user_id && s.access === 'admin';
