import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { log } from './log.js';

/** A lock older than this belongs to a build that died; builds take seconds. */
const STALE_LOCK_MS = 5 * 60_000;
const WAIT_POLL_MS = 100;

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** True when the lock at `path` was left by a process that is gone or by a build long past its time. */
function lockIsStale(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    return !pidAlive(pid) || Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS;
  } catch {
    return true;
  }
}

/**
 * `target`, built by `build` first when absent. Many processes may start at once (one MCP server per client
 * window): one builds under an exclusive lock file, the others wait for its atomic rename.
 */
export async function ensureDerivedFile(target: string, what: string, build: () => Promise<Buffer>): Promise<string> {
  if (existsSync(target)) return target;
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const lock = `${target}.lock`;
  for (;;) {
    if (existsSync(target)) return target;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockIsStale(lock)) rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      if (existsSync(target)) return target;
      const started = Date.now();
      log.info(`building ${what} once into ${target}`);
      const data = await build();
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, target);
      log.info(`${what} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`, {
        bytes: data.length,
      });
      return target;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}
