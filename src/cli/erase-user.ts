import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { invalid } from '../errors.js';

/**
 * `agent-memory erase-user <user_id>`: DELETE /v1/users/{id} from the command line. Without --yes it only says
 * what the user has, since an erasure cannot be undone.
 */
export async function eraseUserCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      namespace: { type: 'string' },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const userId = positionals[0];
  if (!userId || positionals.length > 1)
    throw invalid('usage: agent-memory erase-user <user_id> [--namespace N] [--yes]');
  const engine = await openEngine(loadConfig(), { autoStartWorker: false });
  try {
    const where = values.namespace === undefined ? 'every namespace' : `namespace "${values.namespace}"`;
    if (!values.yes) {
      const s = await engine.stats({ user_id: userId, namespace: values.namespace });
      process.stdout.write(
        `user "${userId}" has ${s.long_term_memories} memories and ${s.working_memory_sessions} sessions in ${where}\n` +
          'nothing was erased: add --yes to erase them, with their history, activity and cached vectors\n',
      );
      return;
    }
    const report = await engine.eraseUser({ user_id: userId, namespace: values.namespace });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `erased user "${userId}" in ${where}: ${report.memories} memories, ${report.sessions} sessions, ` +
        `${report.activity_events} activity events, ${report.tasks} tasks, ${report.cached_embeddings} cached vectors, ` +
        `${report.summary_partitions} summary-view partitions, ${report.summary_views} summary views\n`,
    );
  } finally {
    await engine.close();
  }
}
