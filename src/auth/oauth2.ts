import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { HttpConfig } from '../config.js';
import { log } from '../util/log.js';
import { ACCESS_LEVELS, type Access, type Identity } from './identity.js';

export type OAuth2Settings = NonNullable<HttpConfig['auth']['oauth2']>;

/** Scope values that grant each access level; `memory:*` is what the protected-resource metadata advertises. */
export const SCOPES_SUPPORTED = ['memory:read', 'memory:write', 'memory:admin'] as const;

export class AuthFailure extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'AuthFailure';
  }
}

function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(/\s+/).filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** The highest access level the token's `scope` (space-separated) or `scp` (list) claim grants. */
export function accessFromScopes(scopes: string[]): Access | null {
  let best: Access | null = null;
  for (const level of ACCESS_LEVELS) {
    if (scopes.includes(level) || scopes.includes(`memory:${level}`)) best = level;
  }
  return best;
}

const claimText = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);

/**
 * Validates bearer JWTs against the issuer's JWKS (signature, issuer, audience, expiry) and maps claims to an
 * identity: namespace from OAUTH2_NAMESPACE_CLAIM, user from OAUTH2_USER_CLAIM, access from scope/scp.
 */
export class OAuth2Verifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: OAuth2Settings) {
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        clockTolerance: 30,
      }));
    } catch (err) {
      // The issuer being unreachable is our outage, not a bad token: 503 tells the client to retry.
      if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && /fetch/i.test(err.message))) {
        log.warn('OAuth2: the JWKS endpoint did not answer', { url: this.settings.jwksUrl, error: String(err) });
        throw new AuthFailure(
          503,
          'The token cannot be checked right now: the JWKS endpoint did not answer. Retry later.',
        );
      }
      throw new AuthFailure(401, describeJwtError(err));
    }
    const access = accessFromScopes(scopesOf(payload));
    if (!access) {
      throw new AuthFailure(403, `The token grants no memory scope; it needs one of ${SCOPES_SUPPORTED.join(', ')}.`);
    }
    const namespace = claimText(payload[this.settings.namespaceClaim]);
    if (!namespace && access !== 'admin') {
      throw new AuthFailure(
        403,
        `The token has no "${this.settings.namespaceClaim}" claim; only admin tokens may span all namespaces.`,
      );
    }
    return {
      kind: 'oauth2',
      subject: `oauth2:${payload.sub ?? 'unknown'}`,
      namespace,
      user_id: claimText(payload[this.settings.userClaim]),
      access,
    };
  }
}

function describeJwtError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed)
    return `The token was rejected: ${err.message} (claim "${err.claim}").`;
  if (err instanceof errors.JWKSNoMatchingKey) return 'The token is signed with a key the issuer does not publish.';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (err instanceof errors.JOSEError) return `The token is not a valid JWT: ${err.message}`;
  return 'The token is not a valid JWT.';
}
