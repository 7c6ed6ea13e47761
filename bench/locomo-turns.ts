import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../src/version.js';

/** The shared folder beside the project (data sets and evaluation scripts); AGENT_MEMORY_SHARED overrides it. */
export const SHARED = process.env.AGENT_MEMORY_SHARED ?? resolve(PACKAGE_ROOT, '..', 'shared');

export interface Turn {
  text: string;
  session: string;
}

/** LoCoMo dev's dialogue turns in conversation order, each with its conversation and session; none without the data. */
export function locomoTurns(): Turn[] {
  const path = join(SHARED, 'data', 'locomo-dev.json');
  if (!existsSync(path)) return [];
  const data = JSON.parse(readFileSync(path, 'utf8')) as { sample_id: string; conversation: Record<string, unknown> }[];
  const out: Turn[] = [];
  for (const c of data) {
    for (const [key, value] of Object.entries(c.conversation)) {
      if (!Array.isArray(value)) continue;
      for (const t of value as { text: string }[]) out.push({ text: t.text, session: `${c.sample_id}-${key}` });
    }
  }
  return out;
}
