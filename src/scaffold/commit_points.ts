/**
 * The named points of a commit, in the order a commit reaches them, where a test can stop it or slow it down (the
 * fault-injection points):
 *
 * - `locked`: the registry lock is held and a killed commit undone; nothing is planned or written yet;
 * - `journal`: the journal is on disk; nothing else is written;
 * - `mkdir`: after each directory the commit creates;
 * - `temp-<n>`: the n-th file (1-based, in the journal's order) is written to its temp file;
 * - `renamed-<n>`: the n-th temp file is renamed over its target;
 * - `removed-<n>`: the n-th file the commit removes is removed (`gymnos remove`).
 *
 * After the last of these the journal is removed, which is the commit point.
 *
 * Off unless set, in the environment of the process: `GYMNOS_TEST_PAUSE_AT=<point>` stops there (saying so in a
 * notice, `test hook: paused after <point>`) until a signal ends the process (test/cli/create_new_faults.test.ts
 * kills it there); `GYMNOS_TEST_STEP_DELAY_MS=<n>` waits n ms at every point, so that kills at random moments land
 * inside the transaction often (bench/create-new-kills.mjs).
 *
 * Either way, every point yields to the event loop: a SIGINT or SIGTERM is handled between two steps of the
 * commit, never in the middle of one.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type CommitPoint = 'locked' | 'journal' | 'mkdir' | `temp-${number}` | `renamed-${number}` | `removed-${number}`;

export interface CommitPoints {
  /** Called at each point, in order; the commit goes on when it resolves. */
  reached(point: CommitPoint): Promise<void>;
}

/** The points as the environment sets them up (see above); `notify` receives the pause's notice. */
export function commitPointsFromEnvironment(
  notify: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): CommitPoints {
  const pauseAt = env.GYMNOS_TEST_PAUSE_AT;
  const delay = Number(env.GYMNOS_TEST_STEP_DELAY_MS) || 0;
  return {
    async reached(point) {
      if (point === pauseAt) {
        notify(`test hook: paused after ${point}`);
        await new Promise(() => setInterval(() => undefined, 60_000));
      }
      await (delay > 0 ? sleep(delay) : new Promise((resolve) => setImmediate(resolve)));
    },
  };
}
