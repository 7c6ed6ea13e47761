/**
 * A small SVG line-chart writer for the bench charts: one `<path>` per series, optional log axes (ticks at 1, 2, 5 ×
 * powers of ten), a legend. No dependencies; the output is a standalone SVG file.
 */
export interface Series {
  name: string;
  /** [x, y] points; points with a non-finite or (on a log axis) non-positive coordinate are left out. */
  points: [number, number][];
  /** Drawn dashed (a bound rather than a system, or a second figure of one). */
  dashed?: boolean;
  /** Index into the palette (default: the series' position), so two figures of one system share a colour. */
  color?: number;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: Series[];
  width?: number;
  height?: number;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A short label for a tick value: 1k, 10k, 1M for large numbers, trimmed decimals for small ones. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  return `${+v.toPrecision(2)}`;
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const steps = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function linearTicks(lo: number, hi: number): number[] {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
}

function axis(values: number[], log: boolean): Axis {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    // Whole decades around the data, so the ticks frame it.
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    if (lo === hi) hi = lo * 10;
  } else {
    lo = Math.min(0, lo);
    if (hi === lo) hi = lo + 1;
    hi *= 1.05;
  }
  return { lo, hi, log };
}

const scale = (a: Axis, v: number) =>
  a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo);

/** Renders the chart as an SVG document. Series without a drawable point still get a legend entry and a path. */
export function lineChart(spec: ChartSpec): string {
  // The legend sits right of the plot, as wide as its longest name (about 7 px a character at 12 px).
  const legend = 60 + 7 * Math.max(8, ...spec.series.map((s) => s.name.length));
  const width = spec.width ?? 540 + legend;
  const height = spec.height ?? 440;
  const m = { left: 70, right: legend, top: 40, bottom: 55 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const ok = (x: number, y: number) =>
    Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0);
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => ok(x, y)) }));
  const all = series.flatMap((s) => s.points);
  const xa = axis(all.length ? all.map((p) => p[0]) : [1, 10], !!spec.logX);
  const ya = axis(all.length ? all.map((p) => p[1]) : [1, 10], !!spec.logY);
  const px = (x: number) => m.left + scale(xa, x) * pw;
  const py = (y: number) => m.top + (1 - scale(ya, y)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    // Read out by screen readers (and wanted by the linter on every SVG).
    `<title>${esc(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  const xt = xa.log ? logTicks(xa.lo, xa.hi) : linearTicks(xa.lo, xa.hi);
  const yt = ya.log ? logTicks(ya.lo, ya.hi) : linearTicks(ya.lo, ya.hi);
  for (const t of xt) {
    const x = px(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of yt) {
    const y = py(t).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${(+y + 4).toFixed(1)}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${height - 14}" text-anchor="middle">${esc(spec.xLabel)}${xa.log ? ' (log)' : ''}</text>`,
  );
  out.push(
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}${ya.log ? ' (log)' : ''}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[(s.color ?? i) % COLORS.length]!;
    const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)} ${py(y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    for (const [x, y] of s.points)
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = m.top + 8 + i * 20;
    const lx = m.left + pw + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
