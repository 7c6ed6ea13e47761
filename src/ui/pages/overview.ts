import type { Hono } from 'hono';
import type { MemoryEngine } from '../../core/engine.js';
import type { AppEnv } from '../../http/env.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import { type Bucket, barChart, growthChart } from '../charts.js';
import { bytes, count, excerpt, when } from '../format.js';
import { type Html, html, queryString } from '../html.js';
import type { Ui } from '../kit.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Period lengths for the growth chart, finest first: the first that needs at most MAX_BUCKETS periods is used. */
const PERIODS = [
  { ms: HOUR, label: (d: Date) => `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 13)}:00` },
  { ms: DAY, label: (d: Date) => d.toISOString().slice(0, 10) },
  { ms: 7 * DAY, label: (d: Date) => d.toISOString().slice(0, 10) },
  { ms: 30 * DAY, label: (d: Date) => d.toISOString().slice(0, 7) },
  { ms: 365 * DAY, label: (d: Date) => d.toISOString().slice(0, 4) },
];
const MAX_BUCKETS = 48;
/** Topics are counted over the newest memories (a store-wide tally would read every memory), then exactly. */
const TOPIC_SAMPLE = 500;

const top = (record: Record<string, number>, n: number) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n);

/** New memories per period from the oldest to now, each counted by the engine with a created_at filter. */
async function growth(api: MemoryEngine, oldest: string | null, now: number): Promise<Bucket[]> {
  if (!oldest) return [];
  const from = Date.parse(oldest);
  const found = PERIODS.find((p) => (now - from) / p.ms <= MAX_BUCKETS);
  // Memories imported with dates centuries apart still get a chart of at most MAX_BUCKETS columns.
  const period = found ?? { ...PERIODS.at(-1)!, ms: Math.ceil((now - from) / MAX_BUCKETS) };
  const start = Math.floor(from / period.ms) * period.ms;
  const starts: number[] = [];
  for (let t = start; t <= now; t += period.ms) starts.push(t);
  return Promise.all(
    starts.map(async (t) => {
      const created_at = { gte: new Date(t).toISOString(), lt: new Date(t + period.ms).toISOString() };
      const { total } = await api.longTerm.list({ created_at }, 1, 0);
      return { start: t, label: period.label(new Date(t)), count: total };
    }),
  );
}

async function topTopics(api: MemoryEngine, recent: MemoryRecord[]): Promise<[string, number][]> {
  const seen = new Map<string, number>();
  for (const m of recent) for (const t of m.topics) seen.set(t, (seen.get(t) ?? 0) + 1);
  const candidates = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const counted = await Promise.all(
    candidates.map(async ([topic]) => {
      const { total } = await api.longTerm.list({ topics: { any: [topic] } }, 1, 0);
      return [topic, total] as [string, number];
    }),
  );
  return counted.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const browse = (field: string) => (value: string) =>
  `/ui/memories${queryString(value === '(none)' ? {} : { [field]: value, ...(field === 'topics' ? { topics_op: 'any' } : {}) })}`;

function timeline(recent: MemoryRecord[]): Html {
  if (!recent.length) return html`<p class="muted">Nothing learned yet.</p>`;
  return html`<ol class="history">${recent.map(
    (m) => html`<li>${when(m.created_at)} <span class="badge">${m.memory_type}</span>
<a href="/ui/memory${queryString({ id: m.id })}">${excerpt(m.text, 160)}</a></li>`,
  )}</ol>`;
}

export function overviewPage(app: Hono<AppEnv>, ui: Ui): void {
  app.get('/ui', async (c) => {
    const api = c.get('api');
    const now = Date.now();
    const [stats, recent] = await Promise.all([api.stats({}), api.longTerm.list({}, TOPIC_SAMPLE, 0)]);
    const [buckets, topics] = await Promise.all([
      growth(api, stats.oldest_memory_at, now),
      topTopics(api, recent.memories),
    ]);
    const llm = api.llmStatus();
    const cards: [string, string][] = [
      ['Long-term memories', count(stats.long_term_memories)],
      ['Pinned', count(stats.pinned)],
      ['Sessions', count(stats.working_memory_sessions)],
      ['Messages in sessions', count(stats.messages)],
      ['Storage (whole store)', bytes(stats.storage_bytes)],
      ['Store', stats.store],
    ];
    const body = html`<h1>Overview</h1>
<ul class="cards">${cards.map(([label, value]) => html`<li><span class="big">${value}</span><span class="label">${label}</span></li>`)}</ul>
<dl class="props">
<dt>Embedding model</dt><dd>${stats.embedding_model} (${stats.embedding_dimension} dimensions)</dd>
<dt>LLM features</dt><dd>${llm.available ? `on: ${llm.generation_model ?? ''}${llm.fast_model ? `, fast ${llm.fast_model}` : ''}` : `off (${llm.reason ?? 'no model configured'})`}</dd>
<dt>Oldest / newest memory</dt><dd>${when(stats.oldest_memory_at)} / ${when(stats.newest_memory_at)}</dd>
<dt>Activity kept</dt><dd>${stats.activity_retention_days > 0 ? `${stats.activity_retention_days} days` : 'forever'}</dd>
</dl>
<h2>What was learned when</h2>
${growthChart({ title: 'Memories created per period', buckets, before: 0 })}
<h2>What is in memory</h2>
<div class="charts">
${barChart({ title: 'By type', items: top(stats.by_memory_type, 10), unit: 'memories', href: browse('memory_type') })}
${barChart({ title: 'Top topics', items: topics, unit: 'memories', href: browse('topics'), empty: 'No topics on the newest memories.' })}
${barChart({ title: 'By namespace', items: top(stats.by_namespace, 10), unit: 'memories', href: browse('namespace') })}
${barChart({ title: 'By user', items: top(stats.by_user, 10), unit: 'memories', href: browse('user_id') })}
</div>
<p class="muted">Top topics are found among the newest ${count(TOPIC_SAMPLE)} memories, then counted over all of them.</p>
<h2>Learned most recently</h2>
${timeline(recent.memories.slice(0, 8))}`;
    return ui.render(c, { title: 'Overview', section: 'overview' }, body);
  });
}
