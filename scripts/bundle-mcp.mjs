/**
 * `npm run build`, after tsc: bundles dist/src/mcp/stdio-main.js (the `agent-memory mcp` stdio start) with every
 * module it loads into that same file and a few chunks beside it, so a client's cold start reads a handful of files
 * instead of several hundred. zod and the MCP SDK (with its own dependencies) go in; every other package of ours
 * stays an import resolved in node_modules as before: the native ones (better-sqlite3, sqlite-vec), the optional
 * backends and SDKs (ioredis, pg, openai, @anthropic-ai/sdk), the embedding models. tsc alone leaves the unbundled
 * module there, which runs the same code.
 *
 * What a client waits for first, the replies to initialize and tools/list (with the tools' zod schemas converted to
 * JSON Schema, 40-70 ms), is computed here by the tsc output being bundled (earlyRepliesJson in
 * dist/src/mcp/server.js) and written into the entry (EARLY in stdio-main.ts), which answers from it before it loads
 * the rest (a chunk of its own): the bundle's replies are always those of the server bundled beside them.
 *
 * What the SDK imports for what this server never does at a start, ajv (elicitation results) and the Zod 3 helpers
 * (this server's schemas are Zod 4), a third of the bundle, stays out of it (LAZY below) and is loaded from
 * node_modules on first use: less to compile at every start.
 */
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'dist', 'src', 'mcp', 'stdio-main.js');
// Beside the entry, so that the modules that find the package root from import.meta.url find it from them too.
const CHUNK_PREFIX = 'stdio-main-';
/** Pure JavaScript, loaded by every start: worth reading from one file. */
const BUNDLED = new Set(['zod', '@modelcontextprotocol/sdk', 'stemmer']);

/**
 * Modules the SDK imports (by where its imports resolve to) replaced by a stand-in that loads the same module, its
 * CommonJS build, from node_modules when first used, resolved from the SDK's own folder as the SDK resolves it. A
 * stand-in exports what the SDK imports from the module: should the SDK import another name, the build fails.
 */
const SDK_REQUIRE = `import { createRequire } from 'node:module';
let required;
const sdkRequire = (id) =>
  (required ??= createRequire(createRequire(import.meta.url).resolve('@modelcontextprotocol/sdk/server/index.js')))(id);`;
const LAZY = {
  // server/index.js: the default validator of a Server, used by elicitInput only (this server never elicits).
  '@modelcontextprotocol/sdk/dist/esm/validation/ajv-provider.js': `${SDK_REQUIRE}
export class AjvJsonSchemaValidator {
  #ajv;
  #loaded;
  constructor(ajv) {
    this.#ajv = ajv;
  }
  getValidator(schema) {
    this.#loaded ??= new (sdkRequire('../validation/ajv-provider.js').AjvJsonSchemaValidator)(this.#ajv);
    return this.#loaded.getValidator(schema);
  }
}`,
  // server/zod-compat.js: `z3rt.object(shape)`, for a shape of Zod 3 schemas.
  'zod/v3/index.js': `${SDK_REQUIRE}
export const object = (...args) => sdkRequire('zod/v3').object(...args);`,
  // server/zod-json-schema-compat.js: the JSON Schema of a Zod 3 schema.
  'zod-to-json-schema/dist/esm/index.js': `${SDK_REQUIRE}
export const zodToJsonSchema = (...args) => sdkRequire('zod-to-json-schema').zodToJsonSchema(...args);`,
};
const slashed = (path) => path.replaceAll('\\', '/');
const lazy = {
  name: 'lazy-sdk-imports',
  async resolveId(source, importer, options) {
    if (!importer || !slashed(importer).includes('/node_modules/@modelcontextprotocol/sdk/')) return null;
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
    const tail = resolved && Object.keys(LAZY).find((t) => slashed(resolved.id).endsWith(`/node_modules/${t}`));
    return tail ? `\0lazy:${tail}` : null;
  },
  load: (id) => (id.startsWith('\0lazy:') ? LAZY[id.slice('\0lazy:'.length)] : null),
};

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
const { earlyRepliesJson } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'mcp', 'server.js')).href);
const early = await earlyRepliesJson();
const UNSET = /^const EARLY = undefined;$/m;
const precomputed = {
  name: 'early-replies',
  transform(code, id) {
    if (resolve(id) !== ENTRY) return null;
    if (!UNSET.test(code)) throw new Error('bundle-mcp: stdio-main.js has no line `const EARLY = undefined;`');
    return code.replace(UNSET, () => `const EARLY = ${JSON.stringify(early)};`);
  },
};
const bundle = await rolldown({
  input: ENTRY,
  platform: 'node',
  plugins: [precomputed, lazy],
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
    // The modules loaded on demand (the server after the early replies, the Redis and Postgres stores) stay chunks
    // loaded on demand.
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
