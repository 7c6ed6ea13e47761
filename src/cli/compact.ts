import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openEngine } from '../core/engine.js';

/** `agent-memory compact [--namespace N] [--user-id U] [--json]`: one compaction pass, report on stdout. */
export async function compactCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      namespace: { type: 'string' },
      'user-id': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  // Manual worker: a one-shot command must not start on other queued work.
  const engine = await openEngine(loadConfig(), { autoStartWorker: false });
  try {
    const report = await engine.compact({ namespace: values.namespace, user_id: values['user-id'] });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `scanned ${report.scanned} memories: removed ${report.duplicates_removed} duplicates, merged ` +
        `${report.merged_groups} groups (${report.merged_memories_removed} memories folded into others)\n`,
    );
    if (report.semantic === 'skipped') process.stdout.write(`near-duplicates not merged: ${report.reason}\n`);
  } finally {
    await engine.close();
  }
}
