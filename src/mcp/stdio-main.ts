/**
 * `agent-memory mcp` without flags: the stdio server, the start a desktop client waits for. The bin (cli.ts) comes
 * here before loading any other command, and `npm run build` bundles this module with everything it loads but the
 * installed native and optional packages into one file and a few chunks (scripts/bundle-mcp.mjs): fewer modules to
 * resolve and read.
 */
import { exitOnFailure, readSettings } from '../cli/start.js';
import { loadConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { serveStdio } from './stdio.js';

/** Serves MCP on stdio until the client goes away; a failure to start ends the process as any command's does. */
export async function stdioMain(): Promise<void> {
  try {
    readSettings();
    await serveStdio(await openEngine(loadConfig()));
  } catch (err) {
    exitOnFailure(err);
  }
}
