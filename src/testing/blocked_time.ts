/**
 * How long a synchronous call kept the calling thread from the event loop, not counting the time the machine's
 * load kept the thread waiting for a CPU: the kit's measure of a log call that blocks.
 *
 * Wall time alone fails honest trackers on a loaded machine (a call of 1 ms of work can take 200 ms when ten
 * processes share two cores), and CPU time alone misses a call that sleeps (a synchronous request, a lock, a
 * `spawnSync`). On Linux the kernel says how long the thread waited, runnable, for a CPU
 * (/proc/thread-self/schedstat, its second field): blocked time is the wall time less that wait, so it counts
 * both computing and sleeping, and load not at all. Elsewhere, the process's CPU time is used, which catches a
 * call that computes but not one that sleeps.
 */
import { readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** The run-queue wait of a schedstat line (`<on CPU ns> <waiting ns> <slices>`), in nanoseconds. */
export function runQueueWaitOf(schedstat: string): number | undefined {
  const wait = Number(schedstat.trim().split(' ')[1]);
  return Number.isFinite(wait) ? wait : undefined;
}

/** Nanoseconds this thread has waited for a CPU while runnable, or undefined where the kernel does not say. */
function runQueueWaitNs(): number | undefined {
  try {
    return runQueueWaitOf(readFileSync(SCHEDSTAT, 'utf8'));
  } catch (error) {
    // Not Linux, or a kernel without schedstats: the CPU time measure below is used instead.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

let schedstat: boolean | undefined;

/** How the kit measures blocking here: names the measure in its failure messages. */
export function blockingMeasure(): 'wall time less run-queue wait' | 'CPU time' {
  schedstat ??= runQueueWaitNs() !== undefined;
  return schedstat ? 'wall time less run-queue wait' : 'CPU time';
}

/** Calls `call` and returns its result with the milliseconds it blocked the thread (see the module comment). */
export function measureBlocking<R>(call: () => R): { result: R; blockedMs: number } {
  return blockingMeasure() === 'CPU time' ? measureCpuTime(call) : measureWallLessWait(call);
}

/** The measure where the kernel does not say how long the thread waited: the process's CPU time. */
export function measureCpuTime<R>(call: () => R): { result: R; blockedMs: number } {
  const before = process.cpuUsage();
  const result = call();
  const used = process.cpuUsage(before);
  return { result, blockedMs: (used.user + used.system) / 1000 };
}

function measureWallLessWait<R>(call: () => R): { result: R; blockedMs: number } {
  // The reads of the wait are inside the wall time: a wait while reading is then on both sides.
  const started = process.hrtime.bigint();
  const waitedBefore = runQueueWaitNs()!;
  const result = call();
  const waitedNs = runQueueWaitNs()! - waitedBefore;
  const wallNs = Number(process.hrtime.bigint() - started);
  return { result, blockedMs: Math.max(0, wallNs - waitedNs) / 1e6 };
}
