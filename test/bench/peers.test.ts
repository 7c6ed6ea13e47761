import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHARTS, type PeersResult, runPeers, writePeers } from '../../bench/peers.js';
import { lineChart } from '../../bench/svg-chart.js';
import { makeFacts } from '../../bench/synthetic.js';

/** Tags balance and the document is one <svg> element: enough to catch a writer that emits broken markup. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)\b[^>]*?(\/?)>/g)) {
    const [, close, name, selfClosing] = m;
    if (selfClosing) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && svg.trimStart().startsWith('<svg') && svg.trimEnd().endsWith('</svg>');
}

const paths = (svg: string) => [...svg.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)"/g)];

describe('bench peers', () => {
  const out = mkdtempSync(join(tmpdir(), 'am-peers-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('makes facts with unique ids and texts, each question and phrase naming its fact', () => {
    const facts = makeFacts(0, 5000);
    expect(new Set(facts.map((f) => f.text)).size).toBe(5000);
    expect(new Set(facts.map((f) => f.question)).size).toBe(5000);
    for (const f of facts.slice(0, 50)) expect(f.text.startsWith(f.phrase)).toBe(true);
    expect(makeFacts(4999, 5000)[0]).toEqual(facts[4999]);
  });

  it('draws one path per series on log axes', () => {
    const svg = lineChart({
      title: 'a < b & c',
      xLabel: 'n',
      yLabel: 'ms',
      logX: true,
      logY: true,
      series: [
        {
          name: 'one',
          points: [
            [1000, 2],
            [10000, 20],
          ],
        },
        {
          name: 'two',
          points: [
            [1000, 0.5],
            [10000, 0.7],
          ],
          dashed: true,
        },
        { name: 'none', points: [] },
      ],
    });
    expect(wellFormed(svg)).toBe(true);
    expect(paths(svg).map((p) => p[1])).toEqual(['one', 'two', 'none']);
    expect(paths(svg)[0]![2]).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
  });

  it('runs at a tiny N and writes well-formed JSON, Markdown and charts', async () => {
    const res = await runPeers({
      sizes: [100, 200],
      runs: 1,
      queries: 6,
      batch: 50,
      singles: 2,
      peerBudgetS: 60,
      systemBudgetS: 5,
      outDir: out,
    });
    writePeers(res, out);
    const json = JSON.parse(readFileSync(join(out, 'peers.json'), 'utf8')) as PeersResult;
    expect(json.machine.nproc).toBeGreaterThan(0);
    for (const size of [100, 200]) {
      for (const server of ['agent-memory', 'server-memory']) {
        const row = json.mcp.find((r) => r.size === size && r.server === server)!;
        expect(row, `${server} at ${size}`).toBeDefined();
        expect(row.searchP50).toBeGreaterThan(0);
        expect(row.writesPerSecond).toBeGreaterThan(0);
        expect(row.bytesPerMemory).toBeGreaterThan(0);
        expect(row.searches).toBe(12);
      }
      // Ours finds what it stored; the peer, a substring matcher, finds every phrase and no question.
      const ours = json.mcp.find((r) => r.size === size && r.server === 'agent-memory')!;
      expect(ours.foundFirstPhrase).toBeGreaterThanOrEqual(0.8);
      const peer = json.mcp.find((r) => r.size === size && r.server === 'server-memory')!;
      expect(peer.foundFirstPhrase).toBe(1);
      expect(peer.foundFirstQuestion).toBe(0);
      const systems = json.inProcess.filter((r) => r.size === size).map((r) => `${r.system} ${r.mode}`);
      expect(systems).toEqual([
        'agent-memory hybrid',
        'agent-memory keyword',
        'agent-memory semantic',
        'orama hybrid',
        'orama keyword',
        'vectra semantic',
        'brute force semantic (exact)',
      ]);
    }
    for (const r of json.inProcess) expect(r.p50).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'peers.md'), 'utf8');
    expect(md).toContain('| 200 | server-memory |');
    expect(md).toContain('| 200 | orama | hybrid |');
    for (const chart of CHARTS) {
      const svg = readFileSync(join(out, `${chart}.svg`), 'utf8');
      expect(wellFormed(svg), chart).toBe(true);
      const drawn = paths(svg);
      expect(drawn.length, chart).toBeGreaterThanOrEqual(2);
      // Every series spans both sizes: a line, not a lone point.
      for (const [, name, d] of drawn) expect(d, `${chart}: ${name}`).toContain('L');
    }
    expect(paths(readFileSync(join(out, 'peers-inprocess-search.svg'), 'utf8'))).toHaveLength(7);
  }, 120_000);
});
