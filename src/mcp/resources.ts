import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { canSee } from '../auth/confine.js';
import type { AccessScope } from '../auth/identity.js';
import type { Change, ChangeFeed } from '../core/changes.js';
import type { MemoryEngine } from '../core/engine.js';
import { log } from '../util/log.js';

/** How many sessions and memories resources/list shows, newest first (reading works for any of them). */
export const RESOURCE_LIST_LIMIT = 100;

const JSON_TYPE = 'application/json';

/**
 * `memory://sessions/{id}`: read in the server's default namespace and user (a confined caller's own), or, with
 * none, wherever the id is unique.
 */
export const sessionUri = (id: string) => `memory://sessions/${encodeURIComponent(id)}`;

export const ACTIVITY_URI = 'memory://activity';

export const memoryUri = (id: string) => `memory://memories/${encodeURIComponent(id)}`;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Sessions and long-term memories as MCP resources, read through the same (confined) engine as the tools, and
 * change notifications: resources/list_changed when this process creates or deletes one the caller may see,
 * notifications/resources/updated for the URIs the client subscribed to.
 */
export function registerResources(
  server: McpServer,
  api: MemoryEngine,
  defaults: { namespace?: string; user_id?: string },
  feed: ChangeFeed,
  scope?: AccessScope,
): void {
  server.registerResource(
    'session',
    new ResourceTemplate('memory://sessions/{session_id}', {
      list: async () => {
        const filter = { namespace: defaults.namespace, user_id: defaults.user_id };
        const page = await api.workingMemory.list(filter, RESOURCE_LIST_LIMIT, 0);
        return {
          resources: page.sessions.map((id) => ({
            uri: sessionUri(id),
            name: `session ${id}`,
            mimeType: JSON_TYPE,
          })),
        };
      },
    }),
    {
      title: 'Working memory of a session',
      description: "A session's messages, running summary and data, as get_working_memory returns them.",
      mimeType: JSON_TYPE,
    },
    async (uri, vars) => {
      const session = await api.workingMemory.get({
        session_id: decodeURIComponent(one(vars.session_id) ?? ''),
        namespace: defaults.namespace,
        user_id: defaults.user_id,
      });
      return { contents: [{ uri: uri.href, mimeType: JSON_TYPE, text: JSON.stringify(session) }] };
    },
  );

  server.registerResource(
    'memory',
    new ResourceTemplate('memory://memories/{memory_id}', {
      list: async () => {
        const eq = (v?: string) => (v === undefined ? undefined : { eq: v });
        const page = await api.longTerm.list(
          { namespace: eq(defaults.namespace), user_id: eq(defaults.user_id) },
          RESOURCE_LIST_LIMIT,
          0,
        );
        return {
          resources: page.memories.map((m) => ({
            uri: memoryUri(m.id),
            name: m.text.length > 80 ? `${m.text.slice(0, 77)}...` : m.text,
            mimeType: JSON_TYPE,
          })),
        };
      },
    }),
    { title: 'A long-term memory', description: 'One long-term memory record.', mimeType: JSON_TYPE },
    async (uri, vars) => {
      const record = await api.longTerm.get(decodeURIComponent(one(vars.memory_id) ?? ''));
      return { contents: [{ uri: uri.href, mimeType: JSON_TYPE, text: JSON.stringify(record) }] };
    },
  );

  server.registerResource(
    'activity',
    ACTIVITY_URI,
    {
      title: 'Recent activity',
      description:
        `The newest ${RESOURCE_LIST_LIMIT} events of the activity stream (writes to sessions and memories, who made ` +
        'them), newest first; subscribe to hear when there are new ones.',
      mimeType: JSON_TYPE,
    },
    async (uri) => {
      const page = await api.activity.page({
        namespace: defaults.namespace,
        user_id: defaults.user_id,
        limit: RESOURCE_LIST_LIMIT,
      });
      return { contents: [{ uri: uri.href, mimeType: JSON_TYPE, text: JSON.stringify(page) }] };
    },
  );

  const low = server.server;
  low.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  const subscribed = new Set<string>();
  low.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  low.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  const uriOf = (c: Change) => (c.resource === 'memory' ? memoryUri(c.id) : sessionUri(c.id));
  const unsubscribe = feed.subscribe((changes) => {
    if (!server.isConnected()) return;
    const visible = changes.filter((c) => !scope || canSee(scope, c));
    if (visible.length === 0) return;
    if (visible.some((c) => c.action !== 'updated')) server.sendResourceListChanged();
    const uris = new Set(visible.map(uriOf));
    // Every write is an event of the activity stream.
    uris.add(ACTIVITY_URI);
    for (const uri of uris) {
      if (!subscribed.has(uri)) continue;
      low.sendResourceUpdated({ uri }).catch((err: unknown) => {
        log.debug('could not send a resource update', { error: err instanceof Error ? err.message : String(err) });
      });
    }
  });
  const previous = low.onclose;
  low.onclose = () => {
    unsubscribe();
    previous?.();
  };
}
