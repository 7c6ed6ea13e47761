import { count } from './format.js';
import { type Html, html, nothing } from './html.js';

/**
 * Charts as inline SVG drawn on the server: no chart library, no script, and they print. Pictures that carry
 * numbers have a text alternative (title and desc, or a label) and, for the growth chart, a table under <details>.
 */

let seq = 0;
/** Ids that tie each chart to its title; unique within a page. */
function nextId(prefix: string): string {
  seq = (seq + 1) % 1e9;
  return `${prefix}-${seq}`;
}

const round = (x: number) => Math.round(x * 10) / 10;

function dataTable(caption: string, head: [string, string], rows: readonly (readonly [string, number])[]): Html {
  return html`<details class="chart-data"><summary>${caption}: the numbers</summary>
<table><thead><tr><th scope="col">${head[0]}</th><th scope="col">${head[1]}</th></tr></thead>
<tbody>${rows.map(([k, v]) => html`<tr><td>${k}</td><td class="num">${count(v)}</td></tr>`)}</tbody></table></details>`;
}

/**
 * Horizontal bars, in the order given. Each row is a list item: the label (a link when `href` is given: browse by
 * that value), a bar drawn in SVG, and the number, so the chart reads as a list without the picture.
 */
export function barChart(opts: {
  title: string;
  items: readonly (readonly [string, number])[];
  unit: string;
  href?: (label: string) => string;
  empty?: string;
}): Html {
  const items = opts.items;
  if (!items.length) {
    return html`<figure class="chart"><figcaption>${opts.title}</figcaption><p class="muted">${opts.empty ?? 'Nothing yet.'}</p></figure>`;
  }
  const max = Math.max(1, ...items.map(([, v]) => v));
  const barW = 240;
  return html`<figure class="chart">
<figcaption>${opts.title}</figcaption>
<ul class="bars">${items.map(([label, value]) => {
    const w = Math.max(value > 0 ? 2 : 0, round((value / max) * barW));
    const name = opts.href ? html`<a href="${opts.href(label)}">${label}</a>` : html`${label}`;
    return html`<li><span class="bar-label">${name}</span><svg class="bar-svg" width="${barW}" height="14" viewBox="0 0 ${barW} 14" aria-hidden="true" focusable="false"><rect class="bar" x="0" y="1" width="${w}" height="12" rx="3"></rect></svg><span class="num">${count(value)}<span class="sr-only"> ${opts.unit}</span></span></li>`;
  })}</ul>
</figure>`;
}

export interface Bucket {
  /** Start of the period, epoch ms. */
  start: number;
  label: string;
  count: number;
}

/** New memories per period as columns, with the running total as a line over them (its own scale, on the right). */
export function growthChart(opts: { title: string; buckets: readonly Bucket[]; before: number }): Html {
  const { buckets } = opts;
  if (!buckets.length) {
    return html`<figure class="chart wide"><figcaption>${opts.title}</figcaption><p class="muted">No memories yet.</p></figure>`;
  }
  const width = 720;
  const height = 220;
  const left = 48;
  const right = 64;
  const top = 12;
  const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxNew = Math.max(1, ...buckets.map((b) => b.count));
  const totals: number[] = [];
  let running = opts.before;
  for (const b of buckets) {
    running += b.count;
    totals.push(running);
  }
  const maxTotal = Math.max(1, running);
  const step = plotW / buckets.length;
  const colW = Math.max(1, step * 0.7);
  const y = (v: number, max: number) => round(top + plotH - (v / max) * plotH);
  const columns = buckets.map((b, i) => {
    const h = round((b.count / maxNew) * plotH);
    return html`<rect class="bar" x="${round(left + i * step + (step - colW) / 2)}" y="${round(top + plotH - h)}" width="${round(colW)}" height="${h}"><title>${b.label}: ${count(b.count)} new</title></rect>`;
  });
  const points = totals.map((t, i) => `${round(left + i * step + step / 2)},${y(t, maxTotal)}`).join(' ');
  const ticks = [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1].filter((v, i, a) => a.indexOf(v) === i);
  const titleId = nextId('chart-t');
  const descId = nextId('chart-d');
  const desc = `${count(running)} memories in all; the most in one period: ${count(maxNew)}. From ${buckets[0]!.label} to ${buckets.at(-1)!.label}.`;
  return html`<figure class="chart wide">
<figcaption>${opts.title}</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${titleId} ${descId}">
<title id="${titleId}">${opts.title}</title><desc id="${descId}">${desc}</desc>
<line class="axis" x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}"></line>
<text class="tick" x="${left - 6}" y="${top + 10}" text-anchor="end">${count(maxNew)}</text>
<text class="tick" x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>
<text class="tick total" x="${width - right + 6}" y="${top + 10}">${count(maxTotal)}</text>
${columns}
<polyline class="line" points="${points}" fill="none"></polyline>
${ticks.map((i) => html`<text class="tick" x="${round(left + i * step + step / 2)}" y="${height - 14}" text-anchor="middle">${buckets[i]!.label}</text>`)}
</svg>
<p class="legend"><span class="key bar-key"></span> new in the period (left scale) <span class="key line-key"></span> running total (right scale)</p>
${dataTable(
  opts.title,
  ['period starting', 'new memories'],
  buckets.map((b) => [b.label, b.count] as const),
)}
</figure>`;
}

/**
 * How full a session's context window is: a half-circle arc, its share of the window in the accent colour, and a
 * mark where summarization starts (the threshold, as a fraction of the window).
 */
export function gauge(opts: { percent: number | null; threshold: number; caption: string; detail: string }): Html {
  if (opts.percent === null) return nothing;
  const p = Math.max(0, Math.min(100, opts.percent));
  const r = 80;
  const cx = 100;
  const cy = 95;
  const point = (fraction: number) => {
    const angle = Math.PI * (1 - fraction);
    return `${round(cx + r * Math.cos(angle))} ${round(cy - r * Math.sin(angle))}`;
  };
  const arc = (from: number, to: number) => `M ${point(from)} A ${r} ${r} 0 ${to - from > 0.5 ? 1 : 0} 1 ${point(to)}`;
  const level = p >= opts.threshold * 100 ? 'high' : p >= opts.threshold * 70 ? 'mid' : 'low';
  const mark = point(opts.threshold);
  const inner = (() => {
    const angle = Math.PI * (1 - opts.threshold);
    return `${round(cx + (r - 14) * Math.cos(angle))} ${round(cy - (r - 14) * Math.sin(angle))}`;
  })();
  const label = `${opts.caption}: ${p}% of the context window used`;
  return html`<figure class="gauge">
<svg viewBox="0 0 200 110" width="220" height="121" role="img" aria-label="${label}">
<path class="gauge-track" d="${arc(0, 1)}" fill="none"></path>
${p > 0 ? html`<path class="gauge-fill ${level}" d="${arc(0, Math.max(0.005, p / 100))}" fill="none"></path>` : nothing}
<path class="gauge-mark" d="M ${inner} L ${mark}"></path>
<text class="gauge-value" x="${cx}" y="${cy - 12}" text-anchor="middle">${p}%</text>
</svg>
<figcaption>${opts.caption}<br><span class="muted">${opts.detail}</span></figcaption>
</figure>`;
}
