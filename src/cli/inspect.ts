import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { invalid } from '../errors.js';

/** `agent-memory stats` and `agent-memory history <id>`: GET /v1/stats and GET /v1/long-term-memory/{id}/history as JSON. */
export async function inspectCommand(command: 'stats' | 'history', args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: command === 'history',
    options: { namespace: { type: 'string' }, 'user-id': { type: 'string' } },
  });
  if (command === 'history' && positionals.length !== 1) throw invalid('usage: agent-memory history <memory_id>');
  const engine = await openEngine(loadConfig(), { autoStartWorker: false });
  try {
    const out =
      command === 'stats'
        ? await engine.stats({ namespace: values.namespace, user_id: values['user-id'] })
        : await engine.activity.history(positionals[0]!);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await engine.close();
  }
}
