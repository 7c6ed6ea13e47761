import type { HttpBindings } from '@hono/node-server';
import type { Identity } from '../auth/identity.js';
import type { MemoryEngine } from '../core/engine.js';

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    identity: Identity;
    /** The engine as this caller may see it (confined to its namespace/user and access level). */
    api: MemoryEngine;
  };
}
