#!/usr/bin/env node
/**
 * The `agent-memory` bin. `agent-memory mcp` without flags, the start a desktop client waits for, goes straight to
 * the stdio server's entry (after `npm run build`, bundled), without loading any other command's modules; every
 * other command runs from cli/main.js.
 */
const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === 'mcp') await (await import('./mcp/stdio-main.js')).stdioMain();
else await (await import('./cli/main.js')).cliMain(argv);
