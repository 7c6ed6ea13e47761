/**
 * `npm run build`, after tsc: bundles dist/src/mcp/stdio-main.js (the `agent-memory mcp` stdio start) with every
 * module it loads into that same file and a few chunks beside it, so a client's cold start reads a handful of files
 * instead of several hundred. zod and the MCP SDK (with its own dependencies) go in; every other package of ours
 * stays an import resolved in node_modules as before: the native ones (better-sqlite3, sqlite-vec), the optional
 * backends and SDKs (ioredis, pg, openai, @anthropic-ai/sdk), the embedding models. tsc alone leaves the unbundled
 * module there, which runs the same code.
 */
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'dist', 'src', 'mcp', 'stdio-main.js');
// Beside the entry, so that the modules that find the package root from import.meta.url find it from them too.
const CHUNK_PREFIX = 'stdio-main-';
/** Pure JavaScript, loaded by every start: worth reading from one file. */
const BUNDLED = new Set(['zod', '@modelcontextprotocol/sdk', 'stemmer']);

/** The bundle's first line: a second run (tsc did not run in between) finds it and leaves the bundle as it is. */
const MARK = '// Bundled by scripts/bundle-mcp.mjs from the tsc output of src/mcp/stdio-main.ts.';
if (readFileSync(ENTRY, 'utf8').startsWith(MARK)) {
  console.log('dist/src/mcp/stdio-main.js is bundled already');
  process.exit(0);
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }));
const packageOf = (id) => id.split('/', id.startsWith('@') ? 2 : 1).join('/');

const started = performance.now();
const bundle = await rolldown({
  input: ENTRY,
  platform: 'node',
  // A package we declare stays external unless listed above; the rest are the bundled packages' own dependencies.
  external: (id) => {
    if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0') || id.startsWith('node:')) return false;
    const name = packageOf(id);
    return declared.has(name) && !BUNDLED.has(name);
  },
  onLog(level, log, handler) {
    // Every warning fails the build: an unresolved import or an eval would be a surprise at a user's start.
    if (level === 'warn') throw new Error(`bundle-mcp: ${log.message}`);
    handler(level, log);
  },
});
// Written to a folder beside the entry, then moved over it and beside it: the chunks' imports are relative.
const dir = dirname(ENTRY);
const tmp = join(dir, '.bundle');
rmSync(tmp, { recursive: true, force: true });
try {
  await bundle.write({
    dir: tmp,
    format: 'esm',
    banner: (chunk) => (chunk.isEntry ? MARK : ''),
    sourcemap: false,
    entryFileNames: 'stdio-main.js',
    // The modules loaded on demand (the Redis and Postgres stores) stay chunks loaded on demand.
    chunkFileNames: `${CHUNK_PREFIX}[name]-[hash].js`,
  });
} finally {
  await bundle.close();
}
for (const f of readdirSync(dir)) if (f.startsWith(CHUNK_PREFIX) && f.endsWith('.js')) rmSync(join(dir, f));
for (const f of readdirSync(tmp)) renameSync(join(tmp, f), join(dir, f));
rmSync(tmp, { recursive: true });
// tsc's map describes the unbundled module: it would mislead.
rmSync(`${ENTRY}.map`, { force: true });
const kib = Math.round(readFileSync(ENTRY).length / 1024);
console.log(`bundled ${ENTRY.slice(ROOT.length + 1)} (${kib} KiB) in ${Math.round(performance.now() - started)} ms`);
