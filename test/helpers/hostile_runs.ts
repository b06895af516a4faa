/**
 * Runs whose every name and value is markup that would run a script if a page put it in its HTML as written:
 * run ids, metric names (and `__proto__`), param names and values (nested ones too), tag keys and values, a figure
 * name, and a report title. Each attack counts itself in `window.__pwned`.
 */
import path from 'node:path';
import { JsonlTracker } from '../../src/trackers/jsonl.js';

const ATTACK = 'window.__pwned=(window.__pwned||0)+1';

// A tiny PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

const runIds = [`sweep/<img src=x onerror=${ATTACK}>`, `"><svg onload=${ATTACK}>`, `'onmouseover='${ATTACK}`] as const;
const metrics = [
  `</script><script>${ATTACK}</script>`,
  `<img src=x onerror=${ATTACK}>`,
  `"><b onclick=${ATTACK}>m</b>`,
  '__proto__',
] as const;
const params = {
  [`<b onmouseover=${ATTACK}>lr</b>`]: 0.01,
  text: `<script>${ATTACK}</script>`,
  constructor: `'"><iframe srcdoc="<script>${ATTACK}</script>">`,
  nested: { [`"><img src=x onerror=${ATTACK}>`]: `</style><script>${ATTACK}</script>` },
};
const tags = { [`<i onclick=${ATTACK}>team</i>`]: `<img src=x onerror=${ATTACK}>` };
const figure = `<img src=x onerror=${ATTACK}>.png`;
const title = `</title><script>${ATTACK}</script><!--`;

export const HOSTILE = {
  runIds,
  metrics,
  params,
  tags,
  figure,
  title,
  /** Every string above that holds markup: none may be in a report's file as written. */
  markup: [
    ...runIds,
    ...metrics.filter((name) => name.includes('<')),
    ...Object.keys(params).filter((key) => key.includes('<')),
    params.text,
    params.constructor,
    ...Object.entries(params.nested).flat(),
    ...Object.entries(tags).flat(),
    figure,
    title,
  ],
};

/** The hostile runs, each with every metric (a value per run, so the sweep has a best), under `logdir`. */
export async function logHostileRuns(logdir: string): Promise<void> {
  for (const [index, id] of runIds.entries()) {
    const tracker = new JsonlTracker();
    await tracker.start(id, path.resolve(logdir));
    tracker.logParams({ ...params, [`<b onmouseover=${ATTACK}>lr</b>`]: 0.01 * (index + 1) });
    tracker.logTags(tags);
    for (const [m, name] of metrics.entries()) {
      for (let step = 0; step < 20; step++) tracker.logMetric(name, (m + 1) * (index + 1) + step / 10, step);
    }
    tracker.logFigure(figure, PNG);
    await tracker.end();
  }
}
