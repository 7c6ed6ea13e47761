import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/**
 * Spawns `node ...args` and talks to it as an MCP client does: initialize, and once that is answered
 * `notifications/initialized` and then, in a later write, tools/list; resolves once the tools/list reply (id 2) is
 * on stdout, with the time that took from the spawn. The child is left running for the caller to stop.
 */
export function untilToolsList(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
  const idOf = (line: string): unknown => {
    try {
      return (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      return undefined;
    }
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let listed = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const ids = out.split('\n').slice(0, -1).map(idOf);
      if (ids.includes(2)) resolve({ child, ms: performance.now() - started });
      else if (ids.includes(1) && !listed) {
        listed = true;
        // A client's SDK sends these as two writes: tools/list may reach the server in a read of its own.
        send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        setImmediate(() => send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }));
      }
    });
    child.on('error', reject);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
    });
  });
}

/** Sends SIGTERM and resolves with the time until the child exited. */
export function stopTime(child: ChildProcessWithoutNullStreams): Promise<number> {
  const t = performance.now();
  const exited = new Promise<number>((resolve) => child.once('close', () => resolve(performance.now() - t)));
  child.kill('SIGTERM');
  return exited;
}
