/**
 * The wandb tracker through an outage, a kill and a long queue, at full logging speed, against the strict loopback
 * W&B server of the tests (test/fixtures/wandb_server.ts; no W&B server can run here):
 *
 *   npm run build && node --import tsx bench/wandb.ts [outage|killed|memory]
 *
 * 1. outage: a loop logs metrics as fast as it can (yielding every 500 calls, as a loop between batches does) for
 *    RUN_S seconds (10); the server is stopped after 2 s for OUTAGE_S seconds (5), connections cut mid-request, and
 *    restarted on the same port with its data. Then end(). Reported: logged, delivered (steps in the history),
 *    steps in more than one row, lines sent again at their offsets (harmless), the end report, CPU and peak RSS.
 * 2. killed: a training process (dist/) logs KILL_METRICS metrics (two a step) at full speed to a server that is up,
 *    and is SIGKILLed once the server holds a tenth of them (requests in flight); then `gymnos sync` (the real
 *    bin) delivers the spool. Reported: delivered before the kill, after the sync, steps twice, exit code sent.
 * 3. memory: processes (dist/) that log MEMORY_METRICS (1 000 000) and a tenth of it while the server is down, then
 *    end() with a short endTimeoutMs: peak RSS of each, also with V8's old space capped at HEAP_MB (40) MiB (a
 *    bounded queue runs in it at both sizes), the spool's size, and the time `gymnos sync` takes to deliver the big
 *    one, exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WandbTracker } from '../src/trackers/wandb.js';
import { WandbTestServer } from '../test/fixtures/wandb_server.js';
import type { StoredRun } from '../test/fixtures/wandb_server.js';

const RUN_S = Number(process.env.RUN_S ?? 10);
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 5);
const KILL_METRICS = Number(process.env.KILL_METRICS ?? 400_000);
const MEMORY_METRICS = Number(process.env.MEMORY_METRICS ?? 1_000_000);
const HEAP_MB = Number(process.env.HEAP_MB ?? 40);
const KEY = 'k'.repeat(40);
const ROOT = path.join(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'gymnos.js');
const DIST = path.join(ROOT, 'dist', 'trackers', 'wandb.js');

/** Steps of `key` in the run's history: how many arrived, and how many are in more than one row. */
function arrived(server: WandbTestServer, run: StoredRun | undefined, key: string): { steps: number; twice: number } {
  if (!run) return { steps: 0, twice: 0 };
  const counts = new Map<number, number>();
  for (const [step] of server.series(run, key)) counts.set(step, (counts.get(step) ?? 0) + 1);
  return { steps: counts.size, twice: [...counts.values()].filter((count) => count > 1).length };
}

function cpuAndRss(): string {
  const usage = process.resourceUsage();
  return `user CPU ${(usage.userCPUTime / 1e6).toFixed(1)} s, peak RSS ${Math.round(usage.maxRSS / 1024)} MiB`;
}

async function outage(): Promise<void> {
  const server = await WandbTestServer.start(KEY);
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-wandb-'));
  const tracker = new WandbTracker({
    baseUrl: server.url,
    apiKey: KEY,
    flushIntervalMs: 200,
    retryMaxMs: 1_000,
    endTimeoutMs: 120_000,
  });
  await tracker.start('outage', logdir);
  let logged = 0;
  const started = performance.now();
  let stoppedAt: number | undefined;
  let restarted = false;
  for (let step = 0; performance.now() - started < RUN_S * 1000; step++) {
    tracker.logMetric('loss', 1 / (step + 1), step);
    logged++;
    if (logged % 500 === 0) await yieldToLoop();
    const elapsed = (performance.now() - started) / 1000;
    if (stoppedAt === undefined && elapsed > 2) {
      stoppedAt = elapsed;
      void server.stop();
      console.log(`outage: server stopped at ${elapsed.toFixed(1)} s after ${logged} metrics`);
    }
    if (stoppedAt !== undefined && !restarted && elapsed > stoppedAt + OUTAGE_S) {
      restarted = true;
      await server.listen();
      console.log(`outage: server back at ${elapsed.toFixed(1)} s after ${logged} metrics`);
    }
  }
  const endStarted = performance.now();
  await tracker.end();
  const endMs = performance.now() - endStarted;
  const run = server.runs.size > 0 ? server.run(tracker.wandbRunId!) : undefined;
  const { steps, twice } = arrived(server, run, 'loss');
  const report = tracker.endReport!;
  console.log(
    `outage: logged ${logged} (${Math.round(logged / RUN_S)}/s), delivered ${steps}, lost ${logged - steps}, ` +
      `steps twice ${twice}, lines sent again ${run?.resentLines ?? 0}, ${server.rateLimited} 429s, ` +
      `violations ${server.violations.length}; end() ${Math.round(endMs)} ms, complete ${report.complete}, ` +
      `exit code ${JSON.stringify(run?.complete)}; ${cpuAndRss()}`,
  );
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

/** Runs a node script (`-e` source) on dist/; resolves with its exit, output and peak RSS (reported by it). */
function runNode(
  source: string,
  args: string[],
  onOutput?: (text: string) => void,
  env: Record<string, string> = {},
  nodeFlags: string[] = [],
): { done: Promise<{ code: number | null; signal: string | null; output: string }>; kill: () => void } {
  const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', source, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.(output);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const done = new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, output })),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

/** `gymnos sync <logdir>`, the real bin; resolves with its exit code, output and wall time. */
async function sync(
  logdir: string,
  server: WandbTestServer,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'sync', logdir], {
    env: { ...process.env, WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output: output.trim(), ms: performance.now() - started };
}

const TRAINING = `
import { WandbTracker } from ${JSON.stringify(DIST)};
const [baseUrl, logdir, runId, count, endTimeoutMs] = process.argv.slice(1);
const tracker = new WandbTracker({ baseUrl, apiKey: ${JSON.stringify(KEY)}, startTimeoutMs: 500,
  endTimeoutMs: Number(endTimeoutMs), retryBaseMs: 200 });
await tracker.start(runId, logdir);
tracker.logParam('lr', 0.1);
const started = performance.now();
for (let step = 0; step < Number(count) / 2; step++) {
  tracker.logMetric('loss', 1 / (step + 1), step);
  tracker.logMetric('acc', step / Number(count), step);
  if (step % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
  if (step % 10_000 === 0 && process.env.PROGRESS) console.log('at ' + 2 * step);
}
const loggedMs = performance.now() - started;
console.log('logged ' + count + ' in ' + Math.round(loggedMs) + ' ms');
await tracker.end();
const usage = process.resourceUsage();
const report = tracker.endReport;
console.log('peak RSS ' + Math.round(usage.maxRSS / 1024) + ' MiB, user CPU ' + (usage.userCPUTime / 1e6).toFixed(1) +
  ' s, metrics delivered ' + report.delivered.metrics + ', spooled ' + report.undelivered.metrics + ', dropped ' +
  report.dropped.metrics);
`;

async function killed(): Promise<void> {
  const server = await WandbTestServer.start(KEY);
  server.perRunLimit = 1_000; // the kill, not the rate limit, is measured
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-wandb-'));
  let childOutput = '';
  const child = runNode(
    TRAINING,
    [server.url, logdir, 'killed', String(KILL_METRICS), '600000'],
    (text) => (childOutput = text),
    { PROGRESS: '1' },
  );
  let before: number;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const run = [...server.runs.values()][0];
    before = run ? arrived(server, run, 'loss').steps * 2 : 0;
    if (before >= KILL_METRICS / 10) break;
  }
  child.kill();
  const { signal } = await child.done;
  const progress = [...childOutput.matchAll(/^at (\d+)$/gm)].at(-1)?.[1] ?? '0';
  const during = childOutput.includes('logged') ? 'after its loop, in end()' : `in its loop, past ${progress} metrics`;
  const run = [...server.runs.values()][0]!;
  before = arrived(server, run, 'loss').steps * 2;
  const synced = await sync(logdir, server);
  const loss = arrived(server, run, 'loss');
  const acc = arrived(server, run, 'acc');
  const steps = server.series(run, 'loss').map(([step]) => step);
  const prefix = steps.length === 0 || Math.max(...steps) + 1 === loss.steps;
  console.log(
    `killed (${signal}) ${during} with ${before} of ${KILL_METRICS} metrics on the server; ` +
      `gymnos sync exit ${synced.code} ` +
      `in ${Math.round(synced.ms)} ms: ${synced.output}`,
  );
  console.log(
    `killed: delivered ${loss.steps + acc.steps} ` +
      `(steps 0 to ${loss.steps - 1}${prefix ? ', no gap' : ', WITH GAPS'}), steps twice ` +
      `${loss.twice + acc.twice}, lines sent again ${run.resentLines}, violations ${server.violations.length}, ` +
      `exit code sent ${JSON.stringify(run.complete)}`,
  );
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

async function memory(): Promise<void> {
  const server = await WandbTestServer.start(KEY);
  const down = server.url;
  await server.stop(); // down while the runs log: everything queues
  const runs: [number, string[]][] = [
    [MEMORY_METRICS / 10, []],
    [MEMORY_METRICS, []],
    // V8 takes its time to collect what it may: with its old space capped, the same run shows what it needs.
    [MEMORY_METRICS / 10, [`--max-old-space-size=${HEAP_MB}`]],
    [MEMORY_METRICS, [`--max-old-space-size=${HEAP_MB}`]],
  ];
  for (const [count, flags] of runs) {
    const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-wandb-'));
    const started = performance.now();
    const { output, code } = await runNode(
      TRAINING,
      [down, logdir, 'memory', String(count), '500'],
      undefined,
      {},
      flags,
    ).done;
    if (code !== 0) throw new Error(`the training process failed (exit ${code}): ${output}`);
    const spool = path.join(logdir, 'memory', 'wandb-spool', 'queue.jsonl');
    const bytes = (await stat(spool)).size;
    const lines = output.split('\n').filter((line) => /^(logged|peak)/.test(line));
    console.log(
      `memory: ${count} metrics with the server down${flags.length ? ` (${flags.join(' ')})` : ''}: exit ${code} ` +
        `after ${Math.round(performance.now() - started)} ms; ${lines.join('; ')}; ` +
        `spool ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    if (count === MEMORY_METRICS && flags.length === 0) {
      await server.listen();
      const synced = await sync(logdir, server);
      const run = [...server.runs.values()][0]!;
      const loss = arrived(server, run, 'loss');
      const acc = arrived(server, run, 'acc');
      console.log(
        `memory: gymnos sync exit ${synced.code} in ${Math.round(synced.ms)} ms: ` +
          `delivered ${loss.steps + acc.steps}, ` +
          `steps twice ${loss.twice + acc.twice}, violations ${server.violations.length}, ${server.rateLimited} 429s`,
      );
      await server.stop(); // down again for the next runs
      server.runs.clear();
    }
    await rm(logdir, { recursive: true, force: true });
  }
  await server.stop();
}

const parts = { outage, killed, memory };
const chosen = process.argv.slice(2);
for (const name of chosen.length > 0 ? chosen : Object.keys(parts)) {
  const part = parts[name as keyof typeof parts];
  if (!part) throw new Error(`unknown part ${name}: ${Object.keys(parts).join(', ')}`);
  await part();
}
