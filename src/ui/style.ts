/** The dashboard's only stylesheet, served from /ui/assets/dashboard.css (kept in a module so it ships in dist/). */
export const DASHBOARD_CSS = `
:root {
  --fg: #1f2328; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --accent: #0a58ca; --accent-bg: #ddeafe; --bar: #3b6fd4; --line-chart: #b4235a;
  --danger: #b42318; --danger-bg: #fdecea; --ok-bg: #e6f4ea; --ok: #146c2e; --warn: #8a5300;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; font-size: 15px;
  color: var(--fg); background: var(--bg); line-height: 1.45;
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--fg); color: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1.2rem;
  background: #161b22; color: #f0f6fc; }
header.top .brand { font-weight: 700; color: #f0f6fc; text-decoration: none; margin-right: .5rem; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #f0f6fc; text-decoration: none; padding: .35rem .7rem; border-radius: 6px; display: inline-block; }
header.top nav a:hover { background: #30363d; }
header.top nav a[aria-current="page"] { background: #f0f6fc; color: #161b22; font-weight: 600; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: .75rem; font-size: .9rem; }
header.top .who form { margin: 0; }
header.top .who button { background: transparent; color: #f0f6fc; border: 1px solid #8b949e; }
main { max-width: 1240px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.5rem; margin: .6rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.muted { color: var(--muted); }
.flash { padding: .6rem .9rem; border-radius: 6px; background: var(--ok-bg); color: var(--ok); margin: 0 0 1rem; border: 1px solid #a7d7b5; }
.error-box { padding: .7rem .9rem; border-radius: 6px; background: var(--danger-bg); color: var(--danger); border: 1px solid #f1b8b2; margin: 0 0 1rem; }
.note { padding: .6rem .9rem; border-radius: 6px; background: var(--panel); border: 1px solid var(--line); margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: .75rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.cards li { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; }
.cards .big { display: block; font-size: 1.45rem; font-weight: 700; }
.cards .label { color: var(--muted); font-size: .85rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure.chart { margin: 0; max-width: 100%; }
figure.chart figcaption { font-weight: 600; margin-bottom: .3rem; }
figure.chart svg { max-width: 100%; height: auto; }
.chart .bar { fill: var(--bar); }
.chart .line { stroke: var(--line-chart); stroke-width: 2.5; }
.chart .axis { stroke: var(--line); }
.chart text { font-size: 12px; fill: var(--fg); }
.chart .tick { fill: var(--muted); }
.chart .total { fill: var(--line-chart); }
.legend { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
.key { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin: 0 .2rem 0 .6rem; }
.bar-key { background: var(--bar); }
.line-key { background: var(--line-chart); height: .25rem; vertical-align: 3px; }
.chart-data { font-size: .85rem; margin-top: .3rem; }
ul.bars { list-style: none; margin: 0; padding: 0; }
ul.bars li { display: grid; grid-template-columns: 10rem 240px 4rem; align-items: center; gap: .5rem; padding: .12rem 0; font-size: .9rem; }
ul.bars .bar-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; text-align: right; }
ul.bars .num { font-variant-numeric: tabular-nums; }
.gauge { margin: 0; display: inline-block; text-align: center; }
.gauge-track { stroke: #e5e7eb; stroke-width: 16; }
.gauge-fill { stroke-width: 16; }
.gauge-fill.low { stroke: #2f7d32; }
.gauge-fill.mid { stroke: #b26a00; }
.gauge-fill.high { stroke: var(--danger); }
.gauge-mark { stroke: var(--fg); stroke-width: 2; }
.gauge-value { font-size: 22px; font-weight: 700; fill: var(--fg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; font-size: .9rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { max-width: 36rem; }
.chips { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; margin: .25rem 0 0; padding: 0; }
.chips a { display: inline-block; font-size: .8rem; padding: .05rem .5rem; border-radius: 999px; background: var(--accent-bg); text-decoration: none; }
.badge { display: inline-block; font-size: .8rem; padding: .05rem .45rem; border-radius: 4px; background: var(--panel); border: 1px solid var(--line); }
.badge.pin { background: #fff4d6; border-color: #e3c06b; color: #5c4300; }
form { margin: 0; }
fieldset { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem .9rem; margin: 0 0 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .6rem 1rem; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field label { font-weight: 600; font-size: .9rem; }
.field small { color: var(--muted); font-size: .8rem; }
.check { display: flex; align-items: center; gap: .4rem; }
input[type="text"], input[type="search"], input[type="password"], input[type="number"], input[type="date"], select, textarea {
  font: inherit; padding: .4rem .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--fg); min-width: 0; }
textarea { width: 100%; min-height: 7rem; }
.search-row { display: flex; gap: .5rem; align-items: flex-end; flex-wrap: wrap; margin-bottom: .8rem; }
.search-row .field { flex: 0 1 14rem; }
.search-row .grow { flex: 1 1 22rem; }
details > summary { cursor: pointer; margin-bottom: .6rem; }
.row-end { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; }
button, .button { font: inherit; cursor: pointer; padding: .4rem .9rem; border-radius: 6px; border: 1px solid #8c959f;
  background: var(--panel); color: var(--fg); text-decoration: none; display: inline-block; }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.link { border: 0; background: none; color: var(--accent); text-decoration: underline; padding: 0; }
button:disabled { opacity: .55; cursor: not-allowed; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .6rem 0; }
.layout { display: grid; grid-template-columns: 220px 1fr; gap: 1.5rem; }
.layout aside h2 { font-size: .95rem; margin-top: 0; }
.layout aside ul { list-style: none; margin: 0 0 1rem; padding: 0; font-size: .9rem; }
.layout aside li { display: flex; justify-content: space-between; gap: .5rem; padding: .1rem 0; }
.layout aside li a[aria-current="true"] { font-weight: 700; }
@media (max-width: 800px) { .layout { grid-template-columns: 1fr; } }
.pager { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; }
dl.props { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0 0 1rem; }
dl.props dt { color: var(--muted); }
dl.props dd { margin: 0; overflow-wrap: anywhere; }
.history { list-style: none; margin: 0; padding: 0; border-left: 3px solid var(--line); }
.history li { margin: 0 0 1rem; padding-left: 1rem; position: relative; }
.history .action { font-weight: 700; text-transform: capitalize; }
.diff { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; margin-top: .3rem; }
.diff div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.diff .before { background: var(--danger-bg); }
.diff .after { background: var(--ok-bg); }
.messages { list-style: none; padding: 0; margin: 0; }
.messages li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .7rem; margin-bottom: .5rem; }
.messages .role { font-weight: 700; text-transform: capitalize; }
.messages .content { white-space: pre-wrap; overflow-wrap: anywhere; margin: .25rem 0; }
.summary { white-space: pre-wrap; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
pre.json { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; overflow: auto; max-height: 20rem; }
.live { display: inline-flex; align-items: center; gap: .4rem; font-weight: 600; }
.live::before { content: ""; width: .6rem; height: .6rem; border-radius: 50%; background: #8c959f; }
.live[data-state="live"]::before { background: #2f7d32; }
.live[data-state="down"]::before { background: var(--danger); }
tr.fresh { animation: fresh 2s ease-out; }
@keyframes fresh { from { background: #fff4d6; } to { background: transparent; } }
@media (prefers-reduced-motion: reduce) { tr.fresh { animation: none; } }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.login { max-width: 28rem; margin: 4rem auto; }
.login input { width: 100%; }
`;
