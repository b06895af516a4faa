/**
 * The comet tracker's memory with a million metrics queued, and metrics at full speed through an outage, against
 * the tests' strict loopback Comet server (test/fixtures/comet_server.ts; no real Comet server can run here):
 *
 *   node --import tsx bench/comet.ts [--memory 1000000] [--outage-s 5] [--run-s 7]
 *
 * 1. memory: a loop logs N metrics as fast as it can (yielding every 500 calls) while they cannot be delivered,
 *    in two ways: Comet down (an outage), and Comet up at its documented rate limits (12 000 metric values a
 *    minute: a training loop is far faster, so nearly everything queues). Each in its own child process, at
 *    N / 10 and at N: peak RSS and heap while logging, and where the metrics are at the end (delivered, in the
 *    spool). Bounded memory: the same peak at N as at N / 10. The baseline is what keeping the same records in an
 *    array costs (an unbounded in-memory queue).
 * 2. outage: a loop logs metrics as fast as it can for --run-s seconds; Comet is stopped after 1 s for --outage-s
 *    seconds and restarted on the same port with its data; then end(). Reported: logged, stored, stored twice,
 *    missing, and the strict server's violations.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CometTracker } from '../src/trackers/comet.js';
import { COMET_API_KEY, CometTestServer } from '../test/fixtures/comet_server.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};

const HIGH = { limit: 1e9, windowMs: 60_000 };
const UNLIMITED = { restRequests: 1e9, metricsPerMinute: 1e9, paramsPerMinute: 1e9, othersPerMinute: 1e9 };

interface MemoryResult {
  mode: string;
  count: number;
  logMs: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  delivered: number;
  spooled: number;
  dropped: number;
}

/** Samples the process's RSS and heap every 20 ms until stopped; returns the peaks. */
function sampler(): () => { rss: number; heap: number } {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  return () => {
    clearInterval(timer);
    sample();
    return { rss, heap };
  };
}

const MiB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function memoryChild(mode: string, count: number): Promise<MemoryResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-comet-'));
  const documented = mode === 'paced';
  const server = await CometTestServer.start(documented ? {} : UNLIMITED);
  const stop = sampler();
  try {
    let held: unknown[] | undefined;
    if (mode === 'array') held = [];
    const tracker =
      mode === 'array'
        ? undefined
        : new CometTracker({
            url: server.clientlibUrl,
            apiKey: COMET_API_KEY,
            workspace: 'test-workspace',
            projectName: 'bench',
            endTimeoutMs: 2_000,
            ...(documented
              ? {}
              : { rateLimits: { metricsPerMinute: HIGH, paramsPerMinute: HIGH, othersPerMinute: HIGH } }),
          });
    await tracker?.start(`memory-${mode}`, dir);
    if (mode === 'down') await server.stop();
    const started = performance.now();
    for (let step = 0; step < count; step += 1) {
      const record = { t: 'metric', key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step };
      if (held) held.push(record);
      else tracker!.logMetric('loss', record.value, step);
      if (step % 500 === 499) await yieldToLoop();
    }
    const logMs = performance.now() - started;
    const peak = stop();
    await tracker?.end();
    const report = tracker?.endReport;
    return {
      mode,
      count,
      logMs: Math.round(logMs),
      peakRssMiB: MiB(peak.rss),
      peakHeapMiB: MiB(peak.heap),
      delivered: report?.delivered.metrics ?? 0,
      spooled: report?.undelivered.metrics ?? held?.length ?? 0,
      dropped: report?.dropped.metrics ?? 0,
    };
  } finally {
    stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function outage(outageS: number, runS: number): Promise<void> {
  const server = await CometTestServer.start(UNLIMITED);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-comet-outage-'));
  try {
    const tracker = new CometTracker({
      url: server.clientlibUrl,
      apiKey: COMET_API_KEY,
      workspace: 'test-workspace',
      projectName: 'bench',
      flushIntervalMs: 200,
      retryMaxMs: 1_000,
      endTimeoutMs: 600_000,
      rateLimits: { metricsPerMinute: HIGH, paramsPerMinute: HIGH, othersPerMinute: HIGH, restRequestsPerHour: HIGH },
    });
    await tracker.start('outage', dir);
    const started = performance.now();
    let step = 0;
    let phase: 'before' | 'down' | 'back' = 'before';
    while (performance.now() - started < runS * 1000) {
      tracker.logMetric('loss', 1 / (step + 1), step);
      step += 1;
      if (step % 500 !== 0) continue;
      await yieldToLoop();
      const elapsed = (performance.now() - started) / 1000;
      if (phase === 'before' && elapsed > 1) {
        phase = 'down';
        await server.stop();
        console.log(`outage: Comet stopped at ${elapsed.toFixed(1)} s after ${step} metrics`);
      } else if (phase === 'down' && elapsed > 1 + outageS) {
        phase = 'back';
        await server.listen();
        console.log(`outage: Comet back at ${elapsed.toFixed(1)} s after ${step} metrics`);
      }
    }
    const logged = (performance.now() - started) / 1000;
    const ending = performance.now();
    await tracker.end();
    const seen = new Map<number, number>();
    for (const metric of server.experimentNamed('outage').metrics)
      seen.set(metric.step!, (seen.get(metric.step!) ?? 0) + 1);
    let twice = 0;
    let missing = 0;
    for (let index = 0; index < step; index += 1) {
      const times = seen.get(index) ?? 0;
      if (times === 0) missing += 1;
      if (times > 1) twice += 1;
    }
    const report = tracker.endReport!;
    console.log(
      `outage: ${step} metrics logged in ${logged.toFixed(1)} s (${Math.round(step / logged)}/s); end() took ` +
        `${((performance.now() - ending) / 1000).toFixed(1)} s; stored ${seen.size}, twice ${twice}, missing ` +
        `${missing}; report complete=${report.complete} delivered=${report.delivered.metrics}; violations ` +
        `${server.violations.length}`,
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const childMode = args[args.indexOf('--child') + 1];
if (args.includes('--child')) {
  console.log(JSON.stringify(await memoryChild(childMode!, option('count', 1000))));
} else {
  const count = option('memory', 1_000_000);
  const rows: MemoryResult[] = [];
  for (const mode of ['array', 'down', 'paced']) {
    for (const n of [Math.round(count / 10), count]) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, process.argv[1]!, '--child', mode, '--count', String(n)],
        { encoding: 'utf8', timeout: 30 * 60_000 },
      );
      if (child.status !== 0) throw new Error(`${mode} ${n}: ${child.stderr}`);
      rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as MemoryResult);
    }
  }
  console.log(
    '| mode | metrics | logging (ms) | peak RSS (MiB) | peak heap (MiB) | delivered | in the spool | dropped |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.mode} | ${row.count} | ${row.logMs} | ${row.peakRssMiB} | ${row.peakHeapMiB} | ${row.delivered} | ` +
        `${row.spooled} | ${row.dropped} |`,
    );
  }
  await outage(option('outage-s', 5), option('run-s', 7));
}
