/**
 * The stylesheet inlined in index.html: layout, the heat map's cells, the run blocks and the
 * message chips. The page's Content-Security-Policy allows inline styles (`html-page.ts`).
 */

export const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --bad: #c62828; --good: #1b7f3b; --warn: #b26a00;
  --c-exposed: #7e57c2; --c-before: #1e6fd9; --c-after: #00897b; --c-unrelated: #607d8b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; margin: 0 0 8px; }
.verdict.good { background: #dcf5e3; color: var(--good); }
.verdict.bad { background: #fde2e1; color: var(--bad); }
.meta, .hint { color: var(--muted); margin: 4px 0; }
table { border-collapse: collapse; }
th, td { padding: 5px 8px; border: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--panel); }
.heat td { text-align: center; min-width: 92px; padding: 0; }
.heat td a, .heat td span.cell-body { display: block; padding: 8px 6px; color: inherit; text-decoration: none; }
.heat td.violated { outline: 3px solid var(--bad); outline-offset: -3px; }
.heat td.na { background: repeating-linear-gradient(45deg, #f3f4f6, #f3f4f6 6px, #e8eaed 6px, #e8eaed 12px); color: var(--muted); }
.heat .ratio { font-weight: 600; font-variant-numeric: tabular-nums; }
.heat .exposed { display: block; font-size: 12px; color: var(--muted); }
.heat td.dark .exposed { color: #fff; }
.heat .unnoticed { display: block; font-size: 12px; font-weight: 600; color: #7a1f7a; }
.heat td.dark .unnoticed { color: #fff; }
.heat .linked { display: block; font-size: 12px; color: #1f4f7a; }
.heat td.dark .linked { color: #fff; }
.badge.unnoticed { background: #f3e0f3; color: #7a1f7a; }
ol.alerts { margin: .5em 0; padding-left: 1.5em; font-size: 13px; }
.chip.unnoticed { outline: 2px dashed #7a1f7a; }
.heat .broken { display: block; font-size: 12px; font-weight: 700; color: var(--bad); }
.heat .unclaimed { display: block; font-size: 12px; font-weight: 600; color: var(--warn); }
.heat .unsettled { display: block; font-size: 12px; font-weight: 600; color: var(--warn); }
.heat td.dark .broken { color: #fff; }
.heat .errs { display: block; font-size: 12px; color: var(--warn); }
.heat td.dark .errs { color: #fff; }
.scale { display: flex; align-items: center; gap: 8px; margin: 8px 0; color: var(--muted); font-size: 12px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; border: 1px solid var(--line); }
.swatch.violated { border: 3px solid var(--bad); }
.swatch.na { background: repeating-linear-gradient(45deg, #f3f4f6, #f3f4f6 3px, #e8eaed 3px, #e8eaed 6px); }
ul.findings { padding-left: 20px; }
ul.findings li { margin: 3px 0; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 10px 12px; }
.legend .item { display: inline-flex; align-items: center; gap: 6px; }
.legend dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; width: 100%; }
.legend dt { font-weight: 600; }
.legend dd { margin: 0; color: var(--muted); }
.toolbar { margin: 10px 0; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); cursor: pointer; }
details.run { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; background: var(--bg); }
details.run > summary { cursor: pointer; padding: 8px 12px; list-style-position: inside; }
details.run[open] > summary { border-bottom: 1px solid var(--line); background: var(--panel); }
details.run .body { padding: 8px 14px 14px; }
.run-title { font-weight: 600; }
.badge { display: inline-block; white-space: nowrap; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; margin-left: 6px; border: 1px solid transparent; }
.badge.ok, .badge.holds { background: #dcf5e3; color: var(--good); }
.badge.violated, .badge.error { background: #fde2e1; color: var(--bad); }
.badge.violated.unclaimed { background: #fff3d6; color: var(--warn); }
.badge.not-applicable { background: #eef0f3; color: var(--muted); }
.badge.inconclusive { background: #fff3d6; color: var(--warn); }
.badge.leaks { background: #fff3d6; color: var(--warn); }
.badge.claim-broken { background: var(--bad); color: #fff; }
.timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; align-items: stretch; padding: 10px 0; margin: 0; }
.selection { font-style: italic; margin: 6px 0 0; }
.chip { --c: var(--c-unrelated); display: inline-flex; align-items: center; gap: 5px; padding: 2px 8px; border-radius: 12px;
  border: 2px solid var(--c); color: var(--c); background: #fff; font-size: 12px; font-weight: 600; white-space: pre-wrap; word-break: break-all; max-width: 100%; }
.chip.c-exposed { --c: var(--c-exposed); }
.chip.c-before { --c: var(--c-before); }
.chip.c-after { --c: var(--c-after); }
.chip.c-unrelated { --c: var(--c-unrelated); }
.chip.leaked { background: var(--c); color: #fff; box-shadow: 0 0 0 2px var(--bad); }
.chip.undelivered { border-style: dashed; opacity: .7; }
.chip.undelivered .id { text-decoration: line-through; }
.chip.unreadable { border-style: dashed; }
.via { font-size: 10px; font-weight: 700; background: var(--bad); color: #fff; border-radius: 6px; padding: 0 4px; }
.chip .flag { font-size: 11px; }
.strike { display: inline-flex; align-items: center; padding: 2px 8px; border-left: 3px dashed var(--bad); color: var(--bad); font-size: 12px; font-weight: 700; }
.mark { display: inline-flex; align-items: center; padding: 2px 6px; border-left: 3px solid var(--muted); color: var(--muted); font-size: 12px; }
.props td.detail { white-space: pre-wrap; word-break: break-word; }
.props tr.broken td { background: #fff5f5; }
.notes { color: var(--muted); white-space: pre-wrap; word-break: break-word; }
.run-error { color: var(--bad); background: #fde2e1; border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; padding-top: 20px; padding-bottom: 30px; }
`;
