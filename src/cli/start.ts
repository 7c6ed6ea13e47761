import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import { MemoryError } from '../errors.js';
import { log, setLogLevel } from '../util/log.js';

/** What every command does first: read the `.env` files, then apply LOG_LEVEL (from them or the environment). */
export function readSettings(): void {
  const envFiles = loadDotEnv();
  if (process.env.LOG_LEVEL) {
    try {
      setLogLevel(loadConfig().logLevel);
    } catch (err) {
      // The commands that need the configuration report it; `doctor`, `install` and `help` must still run.
      if (!(err instanceof ConfigError)) throw err;
    }
  }
  if (envFiles.length) log.debug('settings read from', { files: envFiles.join(', ') });
}

/** Ends a failed command: a usage or configuration error as one line (exit 2), anything else with its stack (1). */
export function exitOnFailure(err: unknown): never {
  // parseArgs reports unknown or malformed options as TypeErrors with this code: a usage error, not a crash.
  const usage = (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  if (err instanceof ConfigError || err instanceof MemoryError || usage) {
    process.stderr.write(`agent-memory: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`agent-memory: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
