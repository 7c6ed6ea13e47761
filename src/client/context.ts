import type { Transport } from './transport.js';
import type { Scope } from './types.js';

/** What every area of the client shares: the HTTP transport and the scope of calls that name none. */
export interface ClientContext {
  transport: Transport;
  defaults: Scope;
}

/**
 * A value a call gave, else the client's default. `null` says "none" explicitly: no default is applied, so a
 * client with a default namespace can still list across namespaces.
 */
export const orDefault = <T>(given: T | null | undefined, fallback: T | undefined): T | undefined =>
  given === undefined ? fallback : (given ?? undefined);

/** The namespace and user of a call, with the client's defaults where the call named none. */
export function scopeOf(ctx: ClientContext, given: { namespace?: string | null; user_id?: string | null }): Scope {
  return {
    namespace: orDefault(given.namespace, ctx.defaults.namespace),
    user_id: orDefault(given.user_id, ctx.defaults.user_id),
  };
}

/** The scope without its unset fields, to spread over a body without erasing what the body says. */
export function definedOnly(scope: Scope): Scope {
  return Object.fromEntries(Object.entries(scope).filter(([, v]) => v !== undefined)) as Scope;
}

/** A tag filter from the client's default (`{eq: default}`) when the call gave none; `null` means no filter. */
export function defaultTagFilter<T>(
  given: T | null | undefined,
  fallback: string | undefined,
): T | { eq: string } | undefined {
  return given === undefined ? (fallback === undefined ? undefined : { eq: fallback }) : (given ?? undefined);
}

export const encode = (segment: string) => encodeURIComponent(segment);
