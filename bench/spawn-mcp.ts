import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/**
 * Spawns `node ...args` and sends an MCP initialize and a tools/list; resolves once the tools/list reply (id 2) is
 * on stdout, with the time that took from the spawn. The child is left running for the caller to stop.
 */
export function untilToolsList(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"id":2')) resolve({ child, ms: performance.now() - started });
    });
    child.on('error', reject);
    const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
  });
}

/** Sends SIGTERM and resolves with the time until the child exited. */
export function stopTime(child: ChildProcessWithoutNullStreams): Promise<number> {
  const t = performance.now();
  const exited = new Promise<number>((resolve) => child.once('close', () => resolve(performance.now() - t)));
  child.kill('SIGTERM');
  return exited;
}
