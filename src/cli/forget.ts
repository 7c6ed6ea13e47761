import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { invalid } from '../errors.js';

const number = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw invalid(`--${name} must be a number, got "${v}"`);
  return n;
};

/**
 * `agent-memory forget`: forgetting by policy, as POST /v1/long-term-memory/forget. A dry run unless --apply;
 * the report goes to stdout (--json for the REST answer as is).
 */
export async function forgetCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'max-age-days': { type: 'string' },
      'max-inactive-days': { type: 'string' },
      budget: { type: 'string' },
      type: { type: 'string', multiple: true },
      'hard-age-multiplier': { type: 'string' },
      pin: { type: 'string', multiple: true },
      namespace: { type: 'string' },
      'user-id': { type: 'string' },
      'session-id': { type: 'string' },
      limit: { type: 'string' },
      apply: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const policy = {
    max_age_days: number('max-age-days', values['max-age-days']),
    max_inactive_days: number('max-inactive-days', values['max-inactive-days']),
    budget: number('budget', values.budget),
    memory_type_allowlist: values.type,
    hard_age_multiplier: number('hard-age-multiplier', values['hard-age-multiplier']),
  };
  const engine = await openEngine(loadConfig(), { autoStartWorker: false });
  try {
    const report = await engine.forget(
      { policy, pinned_ids: values.pin },
      {
        namespace: values.namespace,
        user_id: values['user-id'],
        session_id: values['session-id'],
        limit: number('limit', values.limit),
        dry_run: !values.apply,
      },
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    for (const id of report.deleted_ids) process.stdout.write(`${id}\n`);
    const verb = report.dry_run ? 'would forget' : 'forgot';
    process.stdout.write(`scanned ${report.scanned} memories: ${verb} ${report.deleted}\n`);
    if (report.dry_run && report.deleted > 0) process.stdout.write('dry run: add --apply to delete them\n');
  } finally {
    await engine.close();
  }
}
