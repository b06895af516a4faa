/**
 * The report page's own script, run in the browser next to the inlined uPlot: it builds the run table, one
 * uPlot chart per metric (every run a series), the smoothing / log scale / x axis controls, and draws the
 * Vega-Lite and Plotly figures runs logged. Plain ES2019 with no template literals (it lives in one), kept
 * as a string so the report stays one file with no network access. Tested in Chromium by
 * test/e2e/report_browser.test.ts.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('gymnos-data').textContent);
  var runs = data.runs;
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
    '#bcbd22', '#17becf'];
  function color(i) {
    return i < PALETTE.length ? PALETTE[i] : 'hsl(' + ((i * 137.508) % 360).toFixed(1) + ', 60%, 45%)';
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var key in attrs) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'class') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function num(value) {
    if (typeof value === 'string') return value; // NaN, Infinity, -Infinity
    if (value === null || value === undefined) return '-';
    if (value === 0) return '0';
    var abs = Math.abs(value);
    if (abs >= 1e6 || abs < 1e-3) return value.toExponential(4);
    return String(Number(value.toPrecision(6)));
  }
  function exact(value) {
    return value === null || value === undefined ? '' : String(value);
  }
  function duration(ms) {
    if (ms === null) return '-';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h' + String(m % 60).padStart(2, '0') + 'm';
  }
  function when(ms) {
    return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  function paramText(value) {
    if (value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  // ---- the run table: params side by side, the differing ones marked ----
  function renderRunTable() {
    var onlyDiffering = document.getElementById('only-differing').checked;
    var keys = data.params.differing.concat(onlyDiffering ? [] : data.params.same);
    var head = el('tr', null, [el('th'), el('th', { text: 'run' }), el('th', { text: 'tracker' }),
      el('th', { text: 'status' }), el('th', { text: 'start' }), el('th', { text: 'duration' }),
      el('th', { text: 'points' }), el('th', { text: 'tags' })].concat(keys.map(function (key) {
      var differs = data.params.differing.indexOf(key) >= 0;
      return el('th', { class: differs ? 'param differs' : 'param', title: differs ? 'differs between runs' : '',
        text: (differs ? '\u2260 ' : '') + key });
    })));
    var body = runs.map(function (run, i) {
      var tags = Object.keys(run.tags).map(function (key) { return key + '=' + run.tags[key]; }).join(', ');
      return el('tr', { 'data-run': run.id }, [
        el('td', null, [el('span', { class: 'swatch', style: 'background:' + color(i) })]),
        el('td', { class: 'run-id', text: run.id }), el('td', { text: run.trackers.join('+') }),
        el('td', { class: 'status ' + run.status, text: run.status }), el('td', { text: when(run.start) }),
        el('td', { class: 'num', text: duration(run.durationMs) }),
        el('td', { class: 'num', text: String(run.points) }),
        el('td', { text: tags })].concat(keys.map(function (key) {
        var differs = data.params.differing.indexOf(key) >= 0;
        return el('td', { class: differs ? 'param differs' : 'param', text: paramText(run.params[key]) });
      })));
    });
    var table = document.getElementById('runs');
    table.replaceChildren(el('thead', null, [head]), el('tbody', null, body));
  }

  // ---- charts ----
  var state = { smoothing: 0, log: false, axis: 'step' };
  var charts = [];

  /** TensorBoard's smoothing: an exponential moving average, debiased for the first points. */
  function smooth(values, weight) {
    if (weight <= 0) return values.slice();
    var out = new Array(values.length);
    var last = 0;
    var count = 0;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (!isFinite(v)) { out[i] = v; continue; }
      last = last * weight + (1 - weight) * v;
      count++;
      out[i] = last / (1 - Math.pow(weight, count));
    }
    return out;
  }

  function xsOf(run, series) {
    if (state.axis === 'step') return series.steps;
    if (state.axis === 'relative') return series.times.map(function (t) { return t / 1000; });
    return series.times.map(function (t) { return (run.start + t) / 1000; });
  }

  /** [xs, ys] in x order; on a log scale, without the values it cannot show (zero and below). */
  function tableFor(run, series) {
    var xs = xsOf(run, series);
    var ys = smooth(series.values, state.smoothing);
    var order = xs.map(function (_, i) { return i; });
    order.sort(function (a, b) { return xs[a] - xs[b] || a - b; });
    var outX = [];
    var outY = [];
    order.forEach(function (i) {
      if (state.log && !(ys[i] > 0)) return;
      outX.push(xs[i]);
      outY.push(ys[i]);
    });
    return [outX, outY];
  }

  function chartWidth(container) {
    return Math.max(320, Math.min(container.clientWidth || 800, 1100));
  }

  /**
   * uPlot's mode 2: every series keeps its own x values, so 100 runs sampled at different steps cost 100
   * series of a few hundred points, not a table joined on every x of every run.
   */
  function buildChart(metric, container) {
    var entries = data.series[metric];
    var tables = entries.map(function (entry) { return tableFor(runs[entry.run], entry); });
    var axisLabel = state.axis === 'step' ? 'step' : state.axis === 'relative' ? 'seconds since start' : 'wall time';
    var opts = {
      mode: 2,
      width: chartWidth(container),
      height: 280,
      legend: { live: false },
      cursor: { drag: { x: true, y: true }, points: { show: false } },
      // A metric logged once has one x: widen the range so the point has room to be drawn.
      scales: { x: { time: state.axis === 'wall', range: function (u, min, max) {
        return min === max ? [min - 1, max + 1] : [min, max];
      } }, y: { distr: state.log ? 3 : 1 } },
      axes: [{ label: axisLabel }, { size: 70 }],
      series: [{}].concat(entries.map(function (entry) {
        // A series of one point has no line to show it: it is drawn as a dot.
        var lone = entry.steps.length <= 1;
        return { label: runs[entry.run].id, stroke: color(entry.run), width: 1.5,
          paths: lone ? uPlot.paths.points() : uPlot.paths.linear(),
          points: { show: lone, size: 7, width: 1, stroke: color(entry.run), fill: color(entry.run) } };
      })),
    };
    return new uPlot(opts, [null].concat(tables), container);
  }

  function drawChart(i) {
    var metric = data.metrics[i];
    var container = document.getElementById('chart-' + i);
    charts.push({ metric: metric, plot: buildChart(metric, container), series: data.series[metric].length });
  }

  // Bumped by every render, so that a progressive first render stops when a control redraws everything.
  var renderGeneration = 0;

  /** Redraws every chart now (a control changed). */
  function renderCharts() {
    renderGeneration++;
    charts.forEach(function (chart) { chart.plot.destroy(); });
    charts = [];
    window.gymnosReport.charts = charts;
    for (var i = 0; i < data.metrics.length; i++) drawChart(i);
    finishFirstRender();
  }

  var mediaDrawn = false;
  function finishFirstRender() {
    if (!mediaDrawn) {
      mediaDrawn = true;
      renderMedia();
    }
    window.gymnosReport.ready = true;
  }

  /**
   * The first render: the charts on screen now (at least one), then the page is interactive, and the others one
   * per frame, so a report of many runs and metrics answers before every chart is drawn; then the pictures
   * and figures. The flag ready is set once all are drawn.
   */
  function renderChartsProgressively() {
    var generation = ++renderGeneration;
    charts = [];
    window.gymnosReport.charts = charts;
    var next = 0;
    var onScreen = function (i) {
      var box = document.getElementById('chart-' + i).getBoundingClientRect();
      return box.top < window.innerHeight;
    };
    while (next < data.metrics.length && (next === 0 || onScreen(next))) drawChart(next++);
    var rest = function () {
      if (generation !== renderGeneration) return;
      if (next < data.metrics.length) {
        drawChart(next++);
        setTimeout(rest, 0);
      } else finishFirstRender();
    };
    setTimeout(rest, 0);
  }

  function at(step) {
    return step === null ? '' : ' @' + step;
  }

  function renderMetricTables() {
    data.metrics.forEach(function (metric, i) {
      var rows = data.series[metric].map(function (entry) {
        var m = runs[entry.run].metrics[metric];
        var swatch = el('span', { class: 'swatch', style: 'background:' + color(entry.run) });
        return el('tr', null, [el('td', null, [swatch]),
          el('td', { class: 'run-id', text: runs[entry.run].id }),
          el('td', { class: 'num', title: exact(m.last), text: num(m.last) }),
          el('td', { class: 'num', title: exact(m.min), text: num(m.min) + at(m.minStep) }),
          el('td', { class: 'num', title: exact(m.max), text: num(m.max) + at(m.maxStep) }),
          el('td', { class: 'num', text: String(m.points) }),
          el('td', { class: 'num', text: String(entry.steps.length) })]);
      });
      var head = el('tr', null, ['', 'run', 'last', 'min @step', 'max @step', 'points', 'drawn'].map(function (t) {
        return el('th', { text: t });
      }));
      document.getElementById('metric-table-' + i).replaceChildren(el('thead', null, [head]), el('tbody', null, rows));
    });
  }

  // ---- figures: Vega-Lite and Plotly specs drawn as SVG (the common simple cases) ----
  var SVG = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    return node;
  }

  /** traces: [{name, type: line|bar|point, xs, ys}] with numbers or category strings on x. */
  function drawTraces(title, traces) {
    var width = 420, height = 280, left = 56, right = 12, top = title ? 28 : 12, bottom = 36;
    var svg = svgEl('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
      class: 'spec-chart' });
    var categories = [];
    var numericX = traces.every(function (t) { return t.xs.every(function (x) { return typeof x === 'number'; }); });
    if (!numericX) traces.forEach(function (t) { t.xs.forEach(function (x) {
      if (categories.indexOf(String(x)) < 0) categories.push(String(x)); }); });
    var xOf = function (x) { return numericX ? x : categories.indexOf(String(x)); };
    var xs = [], ys = [0];
    traces.forEach(function (t) {
      t.xs.forEach(function (x) { xs.push(xOf(x)); });
      t.ys.forEach(function (y) { ys.push(+y); });
    });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var hasBars = traces.some(function (t) { return t.type === 'bar'; });
    if (hasBars || !numericX) { x0 -= 0.5; x1 += 0.5; }
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (y0 === y1) y1 = y0 + 1;
    var px = function (x) { return left + (xOf(x) - x0) / (x1 - x0) * (width - left - right); };
    var py = function (y) { return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom); };
    function text(x, y, anchor, className, content) {
      svg.appendChild(svgEl('text', { x: x, y: y, 'text-anchor': anchor, class: className })).textContent = content;
    }
    if (title) text(width / 2, 18, 'middle', 'spec-title', title);
    svg.appendChild(svgEl('line', { x1: left, y1: py(y0), x2: width - right, y2: py(y0), class: 'axis' }));
    svg.appendChild(svgEl('line', { x1: left, y1: top, x2: left, y2: height - bottom, class: 'axis' }));
    [y0, (y0 + y1) / 2, y1].forEach(function (y) {
      text(left - 4, py(y) + 4, 'end', 'tick', num(y));
    });
    var xTicks = numericX ? [x0, (x0 + x1) / 2, x1] : categories;
    xTicks.forEach(function (x) {
      svg.appendChild(svgEl('text', { x: px(x), y: height - bottom + 14, 'text-anchor': 'middle', class: 'tick' }))
        .textContent = numericX ? num(x) : x;
    });
    var barTraces = traces.filter(function (t) { return t.type === 'bar'; });
    traces.forEach(function (t, ti) {
      var stroke = color(ti);
      if (t.type === 'bar') {
        var slot = (width - left - right) / (x1 - x0) * 0.8 / barTraces.length;
        var bi = barTraces.indexOf(t);
        t.xs.forEach(function (x, i) {
          var y = +t.ys[i];
          svg.appendChild(svgEl('rect', { x: px(x) - slot * barTraces.length / 2 + bi * slot, y: Math.min(py(y), py(0)),
            width: Math.max(slot - 1, 1), height: Math.abs(py(0) - py(y)), fill: stroke, class: 'mark' }));
        });
      } else if (t.type === 'line') {
        var order = t.xs.map(function (_, i) { return i; });
        order.sort(function (a, b) { return xOf(t.xs[a]) - xOf(t.xs[b]); });
        svg.appendChild(svgEl('polyline', { fill: 'none', stroke: stroke, 'stroke-width': 2, class: 'mark',
          points: order.map(function (i) { return px(t.xs[i]) + ',' + py(+t.ys[i]); }).join(' ') }));
      } else {
        t.xs.forEach(function (x, i) {
          svg.appendChild(svgEl('circle', { cx: px(x), cy: py(+t.ys[i]), r: 3, fill: stroke, class: 'mark' }));
        });
      }
    });
    if (traces.length > 1) traces.forEach(function (t, ti) {
      svg.appendChild(svgEl('text', { x: width - right, y: top + 12 * (ti + 1), 'text-anchor': 'end', fill: color(ti),
        class: 'tick' })).textContent = t.name;
    });
    return svg;
  }

  var MARKS = { line: 'line', area: 'line', trail: 'line', bar: 'bar', point: 'point', circle: 'point', square: 'point',
    tick: 'point' };

  function vegaLiteTraces(spec) {
    var mark = typeof spec.mark === 'string' ? spec.mark : spec.mark && spec.mark.type;
    var values = spec.data && spec.data.values;
    var enc = spec.encoding || {};
    if (!MARKS[mark] || !Array.isArray(values) || !enc.x || !enc.y || !enc.x.field || !enc.y.field) return null;
    var groupField = (enc.color && enc.color.field) || null;
    var groups = {};
    var order = [];
    values.forEach(function (row) {
      var key = groupField ? String(row[groupField]) : '';
      if (!groups[key]) { groups[key] = { name: key, type: MARKS[mark], xs: [], ys: [] }; order.push(key); }
      groups[key].xs.push(row[enc.x.field]);
      groups[key].ys.push(row[enc.y.field]);
    });
    return order.map(function (key) { return groups[key]; });
  }

  function plotlyTraces(spec) {
    if (!Array.isArray(spec.data)) return null;
    var traces = [];
    for (var i = 0; i < spec.data.length; i++) {
      var t = spec.data[i];
      var type = t.type || 'scatter';
      if ((type !== 'scatter' && type !== 'scattergl' && type !== 'bar') || !Array.isArray(t.y)) return null;
      var xs = Array.isArray(t.x) ? t.x : t.y.map(function (_, j) { return j; });
      var mode = t.mode || (t.y.length > 20 ? 'lines' : 'lines+markers');
      var drawn = type === 'bar' ? 'bar' : mode.indexOf('lines') >= 0 ? 'line' : 'point';
      traces.push({ name: t.name || 'trace ' + i, type: drawn,
        xs: xs, ys: t.y });
    }
    return traces;
  }

  function titleOf(spec, format) {
    var title = format === 'plotly' ? spec.layout && spec.layout.title : spec.title;
    return typeof title === 'string' ? title : title && title.text ? title.text : '';
  }

  /** One row per image or figure name, the runs that logged it side by side. */
  function renderMedia() {
    var section = document.getElementById('media');
    var names = [];
    runs.forEach(function (run) {
      run.media.forEach(function (media) { if (names.indexOf(media.name) < 0) names.push(media.name); });
    });
    names.forEach(function (name) {
      var cards = [];
      runs.forEach(function (run, i) {
        run.media.forEach(function (media) {
          if (media.name !== name) return;
          var body;
          if (media.dataUri) body = el('img', { src: media.dataUri, alt: name + ' of ' + run.id, class: 'picture' });
          else {
            var traces = media.format === 'vega-lite' ? vegaLiteTraces(media.spec) : plotlyTraces(media.spec);
            body = traces && traces.length > 0 ? drawTraces(titleOf(media.spec, media.format), traces)
              : el('div', { class: 'unsupported' }, [
                el('p', { text: 'This ' + media.format + ' spec is beyond what the report draws (single-view line, ' +
                  'bar and point charts); its JSON:' }),
                el('pre', { text: JSON.stringify(media.spec, null, 2).slice(0, 4000) })]);
          }
          cards.push(el('figure', { class: 'media ' + media.format, 'data-format': media.format, 'data-run': run.id }, [
            body, el('figcaption', null, [el('span', { class: 'swatch', style: 'background:' + color(i) }),
              el('span', { text: ' ' + run.id + ' \u00b7 ' + media.kind + ', ' + media.format })])]));
        });
      });
      var row = el('div', { class: 'media-row' }, [el('h3', { text: name }), el('div', { class: 'cards' }, cards)]);
      section.appendChild(row);
    });
    var skipped = [];
    runs.forEach(function (run) {
      run.skippedMedia.forEach(function (line) { skipped.push(el('li', { text: run.id + ': ' + line })); });
    });
    if (skipped.length) section.appendChild(el('ul', { class: 'skipped' }, skipped));
    if (!section.children.length) {
      section.appendChild(el('p', { class: 'empty', text: 'No run logged images or figures.' }));
    }
  }

  window.gymnosReport = { charts: [], ready: false, interactive: false };
  renderRunTable();
  renderMetricTables();
  renderChartsProgressively();
  document.getElementById('only-differing').addEventListener('change', renderRunTable);
  var smoothing = document.getElementById('smoothing');
  smoothing.addEventListener('input', function () {
    state.smoothing = Number(smoothing.value);
    document.getElementById('smoothing-value').textContent = state.smoothing.toFixed(3);
    renderCharts();
  });
  document.getElementById('log-scale').addEventListener('change', function (event) {
    state.log = event.target.checked;
    renderCharts();
  });
  document.getElementById('x-axis').addEventListener('change', function (event) {
    state.axis = event.target.value;
    renderCharts();
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (chart) {
        chart.plot.setSize({ width: chartWidth(chart.plot.root.parentNode), height: 280 });
      });
    }, 100);
  });
  window.gymnosReport.interactive = true;
})();
`;
