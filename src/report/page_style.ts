/** The report page's stylesheet (inlined next to uPlot's own, allowed by its hash in the page's policy). */
export const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1180px;
  padding: 16px 24px 48px; color: #1d2433; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e3e6ec; }
h3 { font-size: 15px; margin: 18px 0 6px; overflow-wrap: anywhere; } .meta { color: #667; margin: 0; }
button { font: inherit; font-size: 12px; cursor: pointer; }
.controls { position: sticky; top: 0; z-index: 20; background: #f6f7f9; border: 1px solid #e3e6ec; border-radius: 6px;
  padding: 8px 12px; margin-top: 12px; }
.controls .row { display: flex; gap: 8px 18px; flex-wrap: wrap; align-items: center; margin: 2px 0; }
.controls input[type=range] { width: 140px; vertical-align: middle; }
#filter { flex: 1; min-width: 260px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 6px; }
#filter-count { color: #445; font-variant-numeric: tabular-nums; }
.problems { color: #b3261e; font-size: 12px; } .problems:empty, .chips:empty { display: none; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; margin: 2px 0; }
.chip { border: 1px solid #b9c3d6; border-radius: 12px; background: #fff; padding: 1px 8px; }
.objective { margin-bottom: 6px; } .objective label { margin-right: 4px; }
.table-wrap { overflow: auto; max-width: 100%; border: 1px solid #eceef2; }
.table-wrap.tall { max-height: 70vh; }
table { border-collapse: separate; border-spacing: 0; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eceef2; text-align: left; vertical-align: top; }
th { background: #f6f7f9; font-weight: 600; position: sticky; top: 0; z-index: 2; }
td { white-space: nowrap; }
td.param, td.tags, td.run-id { white-space: normal; max-width: 18em; overflow-wrap: break-word; }
th.param { max-width: 14em; overflow-wrap: anywhere; white-space: normal; }
.sticky-1, .sticky-2 { position: sticky; background: #fff; z-index: 1; }
.sticky-1 { left: 0; } .sticky-2 { left: 30px; }
th.sticky-1, th.sticky-2 { z-index: 3; background: #f6f7f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th.differs { background: #fff1c2; } td.differs { background: #fff8dc; font-weight: 600; }
.toggle-params { border: 0; background: none; padding: 0; font-weight: 600; color: #1f4fa3; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.status.finished { color: #1a7f37; } .status.failed { color: #c62828; } .status.running-or-crashed { color: #b26a00; }
.status.unknown { color: #667; }
.more { margin: 4px 0; border: 1px solid #cfd5e0; background: #fff; border-radius: 4px; padding: 2px 8px; }
.sweep { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.parallel-wrap { flex: 1 1 100%; overflow-x: auto; }
svg.parallel .line { fill: none; stroke-width: 1.3; stroke-opacity: 0.85; }
svg.parallel .line.off { stroke: #c9ced8; stroke-opacity: 0.35; }
svg.parallel .axis-line { stroke: #556; } svg.parallel .tick, svg.scatter .tick { font-size: 10px; fill: #445; }
svg.parallel .tick, svg.parallel .axis-label { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg.parallel .axis-label, svg.scatter .axis-label { font-size: 12px; font-weight: 600; fill: #1d2433; }
svg.parallel .brush-strip { fill: transparent; cursor: ns-resize; }
svg.parallel .brush { fill: rgba(31, 79, 163, 0.18); stroke: #1f4fa3; }
.legend { color: #556; font-size: 12px; margin: 2px 0 0; }
.ramp { display: inline-block; width: 120px; height: 10px; vertical-align: middle; border-radius: 2px; }
svg.scatter .axis-line { stroke: #889; } svg.scatter .dot { stroke: #fff; stroke-width: 0.8; fill-opacity: 0.85; }
/* Sections off screen skip layout and paint: a filter over 500 runs relays out what is seen, not 500 rows. */
.metric { margin-bottom: 18px; content-visibility: auto; contain-intrinsic-size: auto 560px; }
#runs-section, #media-section { content-visibility: auto; contain-intrinsic-size: auto 900px; }
.metric .table-wrap { margin-top: 4px; border: 0; }
.chart { position: relative; min-height: 280px; }
.hover { position: absolute; z-index: 10; pointer-events: none; background: rgba(255, 255, 255, 0.96);
  border: 1px solid #cfd5e0; border-radius: 4px; padding: 4px 8px; font-size: 12px; max-width: 420px;
  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.12); }
.hover-row { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.hover-row.nearest { font-weight: 700; } .hover-value { display: inline-block; min-width: 6em; text-align: right;
  margin-left: 4px; font-variant-numeric: tabular-nums; } .hover-head, .hover-more { color: #667; }
.toggle { display: block; margin: 4px 0 8px; color: #445; }
.cards { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure.media { margin: 0; border: 1px solid #e3e6ec; border-radius: 6px; padding: 8px; background: #fff; }
figure.media img.picture { min-width: 120px; max-width: 420px; max-height: 320px; display: block;
  image-rendering: pixelated; }
figcaption { color: #556; font-size: 12px; margin-top: 4px; overflow-wrap: anywhere; }
.spec-chart .axis { stroke: #889; } .spec-chart .tick { font-size: 10px; fill: #556; }
.spec-chart .spec-title { font-size: 12px; font-weight: 600; }
.unsupported pre { max-width: 420px; max-height: 240px; overflow: auto; font-size: 11px; background: #f6f7f9; }
.notes { color: #8a5a00; font-size: 12px; } .empty { color: #667; }
[hidden] { display: none !important; }
`;
