/** The report page's stylesheet (inlined next to uPlot's own). */
export const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1180px;
  padding: 16px 24px 48px; color: #1d2433; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e3e6ec; }
h3 { font-size: 15px; margin: 18px 0 6px; } .meta { color: #667; margin: 0; }
.controls { position: sticky; top: 0; z-index: 10; background: #f6f7f9; border: 1px solid #e3e6ec; border-radius: 6px;
  padding: 8px 12px; margin-top: 12px; display: flex; gap: 24px; flex-wrap: wrap; align-items: center; }
.controls input[type=range] { width: 180px; vertical-align: middle; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eceef2; text-align: left; white-space: nowrap; }
th { background: #f6f7f9; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
th.differs { background: #fff1c2; } td.differs { background: #fff8dc; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.status.finished { color: #1a7f37; } .status.failed { color: #c62828; } .status.running-or-crashed { color: #b26a00; }
.status.unknown { color: #667; }
.metric { margin-bottom: 18px; } .metric-table { margin-top: 4px; }
.toggle { display: block; margin: 4px 0 8px; color: #445; }
.cards { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure.media { margin: 0; border: 1px solid #e3e6ec; border-radius: 6px; padding: 8px; background: #fff; }
figure.media img.picture { min-width: 120px; max-width: 420px; max-height: 320px; display: block;
  image-rendering: pixelated; }
figcaption { color: #556; font-size: 12px; margin-top: 4px; }
.spec-chart .axis { stroke: #889; } .spec-chart .tick { font-size: 10px; fill: #556; }
.spec-chart .spec-title { font-size: 12px; font-weight: 600; }
.unsupported pre { max-width: 420px; max-height: 240px; overflow: auto; font-size: 11px; background: #f6f7f9; }
.skipped { color: #8a5a00; font-size: 12px; } .empty { color: #667; }
`;
