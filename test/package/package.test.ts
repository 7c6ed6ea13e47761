/**
 * The package as users get it: packed to a tarball (declarations included), installed into an empty folder from
 * the registry and the local npm cache, then `npx agent-memory mcp` driven over stdio by the MCP SDK client, the
 * sub-path exports imported and type-checked. The repo's dist/ is not touched: the package is staged elsewhere.
 *
 * better-sqlite3's binary comes from this clone's build (handed to its installer as a local prebuild), so the
 * install neither compiles nor downloads it. Skips when npm or the registry is out of reach.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { baseEnv, cleanup, makeTempStore, ROOT, run } from '../helpers/spawn.js';

afterAll(cleanup);

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let skipReason: string | null = null;
let work = '';
let app = '';
let tarball = '';
let packed: string[] = [];
let env: Record<string, string> = {};

function sh(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): string {
  return execFileSync(command, args, {
    cwd,
    env: { ...env, ...extra },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(async () => {
  work = makeTempStore().dir;
  env = { ...baseEnv(), HOME: work, SCARF_ANALYTICS: 'false', npm_config_update_notifier: 'false' };
  try {
    sh(NPM, ['ping'], work);
  } catch (err) {
    skipReason = `npm or the registry is not reachable (${String(err).split('\n')[0]}): the package test needs the registry for package metadata`;
    return;
  }
  // Stage the package: its files as `npm pack` would take them from the clone, plus declarations built here.
  const stage = join(work, 'stage');
  const list = JSON.parse(sh(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT))[0].files as {
    path: string;
  }[];
  for (const { path } of list) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(ROOT, path), join(stage, path));
  }
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'tsconfig.json'),
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir',
      join(stage, 'dist'),
    ],
    { stdio: 'inherit' },
  );
  const out = JSON.parse(sh(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], stage))[0];
  tarball = join(work, out.filename);
  packed = out.files.map((f: { path: string }) => f.path);

  // better-sqlite3's installer looks for a local prebuild before downloading or compiling.
  const require = createRequire(join(ROOT, 'package.json'));
  const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
  const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
  const prebuilds = join(work, 'prebuilds');
  mkdirSync(prebuilds);
  const name = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  sh('tar', ['czf', join(prebuilds, name), 'build/Release/better_sqlite3.node'], sqliteDir);

  app = join(work, 'app');
  mkdirSync(app);
  // npm 12 runs only the install scripts a project allows; better-sqlite3 needs its own.
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'empty-app',
      private: true,
      type: 'module',
      allowScripts: { 'better-sqlite3': true, '@scarf/scarf': false },
    }),
  );
  const install = await run(
    NPM,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball],
    {
      ...env,
      npm_config_better_sqlite3_local_prebuilds: prebuilds,
    },
    { cwd: app, timeoutMs: 240_000 },
  );
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
}, 300_000);

const skipIfNeeded = (ctx: { skip: (note?: string) => void }) => {
  if (skipReason) ctx.skip(skipReason);
};

describe('the packed package', () => {
  it('ships what runs and nothing else', (ctx) => {
    skipIfNeeded(ctx);
    expect(packed).toContain('dist/src/cli.js');
    expect(packed).toContain('dist/src/client/index.js');
    expect(packed).toContain('dist/src/client/index.d.ts');
    expect(packed).toContain('prompts/summarize.txt');
    expect(packed).toContain('README.md');
    const stray = packed.filter(
      (p) =>
        /^(test|bench|examples|\.ci|src|tools)\/|\.map$|^dist\/(test|bench|examples)\/|\.ts$/.test(p) &&
        !p.endsWith('.d.ts'),
    );
    expect(stray).toEqual([]);
    expect(packed.length).toBeLessThan(700);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'agent-memory', 'package.json'), 'utf8'));
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).not.toContain('vitest');
    // The framework packages are optional peers: an install without them has none.
    expect(existsSync(join(app, 'node_modules', 'ai'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@langchain', 'core'))).toBe(false);
  });

  it('npx agent-memory mcp, from the empty folder, answers tools/list and stores and finds a memory', async (ctx) => {
    skipIfNeeded(ctx);
    const store = makeTempStore();
    const transport = new StdioClientTransport({
      command: NPM === 'npm' ? 'npx' : 'npx.cmd',
      args: ['agent-memory', 'mcp'],
      cwd: app,
      env: {
        ...store.env(),
        HOME: work,
        OFFLINE_VECTORS_DIR: process.env.OFFLINE_VECTORS_DIR ?? join(work, 'vectors'),
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const client = new Client({ name: 'package-test', version: '0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('search_memory');
      expect(tools).toHaveLength(24);
      const created = await client.callTool({
        name: 'create_long_term_memories',
        arguments: { memories: [{ text: 'The package test installed agent-memory from a tarball' }] },
      });
      expect(created.isError, JSON.stringify(created)).toBeFalsy();
      const found = (await client.callTool({ name: 'search_memory', arguments: { query: 'tarball install' } })) as {
        structuredContent?: { memories: { text: string }[] };
      };
      expect(found.structuredContent?.memories[0]?.text).toMatch(/tarball/);
    } catch (err) {
      throw new Error(`${String(err)}\nserver stderr:\n${stderr}`);
    } finally {
      await client.close();
    }
  });

  it('runs from the bin, installs its own path into a client config, and exports a typed client', async (ctx) => {
    skipIfNeeded(ctx);
    const installed = join(app, 'node_modules', 'agent-memory', 'dist', 'src', 'cli.js');
    const version = await run('npx', ['agent-memory', 'version'], env, { cwd: app });
    expect(version.stdout.trim()).toBe(VERSION);

    const config = join(work, 'claude_desktop_config.json');
    const install = await run('npx', ['agent-memory', 'install', 'claude-desktop', '--config', config], env, {
      cwd: app,
    });
    expect(install.code, install.stderr).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8')).mcpServers['agent-memory'].args).toEqual([installed, 'mcp']);

    const imported = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('agent-memory/client'); console.log(typeof m.MemoryClient, typeof m.memoryTools)",
      ],
      env,
      { cwd: app },
    );
    expect(imported.stdout.trim(), imported.stderr).toBe('function function');
    // Without the optional peer, the AI SDK entry says what is missing.
    const aiSdk = await run(
      process.execPath,
      ['--input-type=module', '-e', "await import('agent-memory/ai-sdk')"],
      env,
      {
        cwd: app,
      },
    );
    expect(aiSdk.stderr).toMatch(/Cannot find package 'ai'/);

    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { MemoryClient, type MemoryRecord, MemoryNotFoundError } from 'agent-memory/client';",
        "const client = new MemoryClient({ baseUrl: 'http://127.0.0.1:8000', userId: 'u' });",
        "const hits: Promise<{ memories: MemoryRecord[] }> = client.longTerm.search({ text: 'x', limit: 5 });",
        'void hits; void MemoryNotFoundError;',
        '// @ts-expect-error: limit is a number',
        "void client.longTerm.search({ limit: 'many' });",
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      env,
      {
        cwd: app,
        timeoutMs: 60_000,
      },
    );
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
  });
});
