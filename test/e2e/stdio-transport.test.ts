/**
 * The stdio transport's `onanswered`: serveStdio starts loading the models once the first tools/list reply has been
 * written, so that parsing them never delays that reply (a client sends tools/list after `initialized`, often in a
 * later read). Here on in-memory streams: which replies it reports, and only after they are on the output.
 */
import { PassThrough } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { LineStdioTransport } from '../../src/mcp/stdio-transport.js';

function setup() {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = '';
  output.on('data', (c: Buffer) => {
    written += c.toString();
  });
  const transport = new LineStdioTransport(input, output);
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (m) => received.push(m);
  const answered: { method: string; writtenBefore: string }[] = [];
  transport.onanswered = (method) => answered.push({ method, writtenBefore: written });
  const send = (m: object) => input.write(`${JSON.stringify(m)}\n`);
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setImmediate(r));
  };
  return { transport, received, answered, send, until, written: () => written };
}

describe('LineStdioTransport.onanswered', () => {
  it('reports a request once its reply is written, by method; not notifications, not unknown ids', async () => {
    const t = setup();
    await t.transport.start();
    t.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    t.send({ jsonrpc: '2.0', id: 'b', method: 'tools/list' });
    await t.until(() => t.received.length === 3);
    expect(t.answered).toEqual([]);

    await t.transport.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } });
    await t.transport.send({ jsonrpc: '2.0', id: 99, result: {} });
    expect(t.answered).toEqual([]);
    await t.transport.send({ jsonrpc: '2.0', id: 'b', result: { tools: [] } });
    await t.transport.send({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'no' } });
    expect(t.answered.map((a) => a.method)).toEqual(['tools/list', 'initialize']);
    // Reported after the reply went out, never before.
    await t.until(() => t.written().includes('"id":1'));
    expect(t.answered[0]!.writtenBefore).toContain('"id":"b"');
    // A second reply under an id already answered is not reported again.
    await t.transport.send({ jsonrpc: '2.0', id: 'b', result: { tools: [] } });
    expect(t.answered).toHaveLength(2);
  });

  it('tracks nothing while unset, and nothing from before it was set', async () => {
    const t = setup();
    const calls = t.answered;
    t.transport.onanswered = undefined;
    await t.transport.start();
    t.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await t.until(() => t.received.length === 1);
    t.transport.onanswered = (method) => calls.push({ method, writtenBefore: '' });
    await t.transport.send({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    expect(calls).toEqual([]);
    t.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await t.until(() => t.received.length === 2);
    await t.transport.send({ jsonrpc: '2.0', id: 2, result: { tools: [] } });
    expect(calls.map((c) => c.method)).toEqual(['tools/list']);
  });
});
