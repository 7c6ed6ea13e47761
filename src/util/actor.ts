import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<string>();

/**
 * Runs `fn` on behalf of `actor`: every write it makes is recorded in the activity stream under that name
 * ("token:<id>", "mcp:<client>", "cli"...). Set once per request by each transport, so the engine's signatures
 * need not carry it.
 */
export const withActor = <T>(actor: string, fn: () => T): T => current.run(actor, fn);

/** Who the running code acts for; "server" outside any request (background work started by the server itself). */
export const currentActor = (): string => current.getStore() ?? 'server';
