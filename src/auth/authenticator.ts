import type { HttpConfig } from '../config.js';
import { ANONYMOUS, type Identity } from './identity.js';
import { AuthFailure, OAuth2Verifier } from './oauth2.js';
import type { TokenStore } from './token-store.js';

export { AuthFailure };

/** Turns an Authorization header into an identity, or throws AuthFailure (401/403) with a message to act on. */
export type Authenticator = (authorization: string | undefined) => Promise<Identity>;

function bearer(authorization: string | undefined): string {
  if (!authorization) throw new AuthFailure(401, 'Authorization required: send "Authorization: Bearer <token>".');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw new AuthFailure(401, 'Malformed Authorization header: expected "Bearer <token>".');
  return m[1]!;
}

export function makeAuthenticator(auth: HttpConfig['auth'], tokens?: TokenStore): Authenticator {
  if (auth.mode === 'disabled') return async () => ANONYMOUS;
  if (auth.mode === 'oauth2') {
    if (!auth.oauth2) throw new Error('AUTH_MODE=oauth2 without OAuth2 settings');
    const verifier = new OAuth2Verifier(auth.oauth2);
    return (authorization) => verifier.verify(bearer(authorization));
  }
  if (!tokens) throw new Error('AUTH_MODE=token without a token store');
  return async (authorization) => {
    const found = tokens.lookup(bearer(authorization));
    if (!found)
      throw new AuthFailure(
        401,
        'Unknown token. Create one with: agent-memory token add --namespace N --scope read|write|admin',
      );
    if (found.expired) throw new AuthFailure(401, `The token expired at ${found.expires_at}. Create a new one.`);
    return {
      kind: 'token',
      subject: `token:${found.id}`,
      namespace: found.namespace,
      user_id: found.user_id,
      access: found.access,
    };
  };
}
