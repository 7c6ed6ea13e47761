import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { invalid, MemoryError } from '../errors.js';
import { isAccess } from './identity.js';
import { parseDuration, type TokenInfo, TokenStore } from './token-store.js';

const USAGE = `Usage:
  agent-memory token add --namespace N [--user U] --scope read|write|admin [--expires 30d] [--label TEXT] [--json]
  agent-memory token list [--json]
  agent-memory token remove <id>`;

const row = (t: TokenInfo) =>
  [
    t.id,
    t.access,
    t.namespace ?? '*',
    t.user_id ?? '-',
    t.expires_at ?? 'never',
    t.last_used_at ?? 'never',
    t.label ?? '',
  ].join('  ');

/** `agent-memory token …`: manages API tokens in the store's SQLite file (AUTH_MODE=token). */
export async function tokenCommand(args: string[], config: Config, out = process.stdout): Promise<void> {
  if (config.backend === 'memory') {
    throw new MemoryError(
      'invalid',
      'MEMORY_BACKEND=memory keeps no tokens between processes; use the sqlite backend for token auth.',
    );
  }
  const [sub, ...rest] = args;
  const store = new TokenStore(config.sqlitePath, config.busyTimeoutMs);
  try {
    switch (sub) {
      case 'add': {
        const { values } = parseArgs({
          args: rest,
          options: {
            namespace: { type: 'string' },
            user: { type: 'string' },
            scope: { type: 'string' },
            expires: { type: 'string' },
            label: { type: 'string' },
            json: { type: 'boolean', default: false },
          },
        });
        if (!isAccess(values.scope)) throw invalid(`--scope: expected read, write or admin.\n${USAGE}`);
        const { token, info } = store.add({
          namespace: values.namespace,
          user_id: values.user,
          access: values.scope,
          expiresInMs: values.expires ? parseDuration(values.expires) : null,
          label: values.label,
        });
        if (values.json) {
          out.write(`${JSON.stringify({ token, ...info })}\n`);
        } else {
          out.write(`${token}\n`);
          process.stderr.write(
            `Token ${info.id}: ${info.access} access to namespace ${info.namespace ?? '* (all)'}` +
              `${info.user_id ? `, user ${info.user_id}` : ''}, expires ${info.expires_at ?? 'never'}.\n` +
              'It is shown only now; store it safely. Send it as: Authorization: Bearer <token>\n',
          );
        }
        return;
      }
      case 'list': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
        const tokens = store.list();
        if (values.json) {
          out.write(`${JSON.stringify(tokens, null, 2)}\n`);
        } else {
          out.write('id  scope  namespace  user  expires  last_used  label\n');
          for (const t of tokens) out.write(`${row(t)}\n`);
        }
        return;
      }
      case 'remove': {
        const id = rest[0];
        if (!id) throw invalid(`token remove needs a token id (see agent-memory token list).\n${USAGE}`);
        store.remove(id);
        process.stderr.write(`Removed token ${id}.\n`);
        return;
      }
      default:
        throw invalid(USAGE);
    }
  } finally {
    store.close();
  }
}
