import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by test/global-setup.ts: the folder where each test process notes the servers it started. */
const DIR_VAR = 'AGENT_MEMORY_TEST_PIDS';

/**
 * Makes sure `child` (a server a test harness started) does not outlive the test run. A worker kills what it started
 * when it exits normally; a worker the runner terminates runs no handler, so the pid is also noted in a folder the
 * global teardown empties, killing each (`reapAll`).
 */
export function track(child: ChildProcess): void {
  const dir = process.env[DIR_VAR];
  const pid = child.pid;
  if (pid === undefined) return;
  const note = dir ? join(dir, String(pid)) : undefined;
  if (note) writeFileSync(note, '');
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => {
    process.removeListener('exit', reap);
    if (note) rmSync(note, { force: true });
  });
}

/** The global teardown: kills every tracked server still running, then removes the folder. */
export function reapAll(dir: string): void {
  for (const name of readdirSync(dir)) {
    try {
      process.kill(Number(name), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export const trackingVar = DIR_VAR;
