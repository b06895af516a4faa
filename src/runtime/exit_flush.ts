/**
 * One registry of what trackers hold in memory and must write if the process ends without `end()`: a normal
 * exit, `process.exit()`, an uncaught exception or unhandled rejection, SIGINT or SIGTERM (the listeners are
 * runtime/process_end.ts's). Each registered target writes what it holds, synchronously, since nothing
 * asynchronous runs any more. Shared by jsonl, csv (through FileRun) and tensorboard.
 */
import { onProcessEnd } from './process_end.js';
import type { ProcessEnding } from './process_end.js';

/** Something that can write what it buffers synchronously, e.g. when the process exits. */
export interface SyncFlushable {
  /** `ending` says how the process ends (a signal, an exit code), for a tracker that records it. */
  flushAtExit(ending?: ProcessEnding): void;
}

const registered = new Map<SyncFlushable, () => void>();

/** Registers `target` to be flushed when the process ends before it is cancelled. */
export function flushAtExit(target: SyncFlushable): void {
  if (!registered.has(target))
    registered.set(
      target,
      onProcessEnd((ending) => target.flushAtExit(ending)),
    );
}

export function cancelFlushAtExit(target: SyncFlushable): void {
  registered.get(target)?.();
  registered.delete(target);
}
