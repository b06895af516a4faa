/**
 * What trackers hold is written when the process ends without `end()`: on a normal exit, `process.exit()`, an
 * uncaught exception or unhandled rejection (Node emits 'exit' for each), and on SIGINT and SIGTERM, which
 * otherwise end a Node process without running any JavaScript. A batch scheduler stops jobs with SIGTERM; a
 * person with Ctrl-C.
 *
 * gymnos never swallows a signal nor keeps a process alive: after saving, a signal that nobody else listens to is
 * raised again with our listener removed, so the process ends exactly as it would have without gymnos (killed by
 * that signal: exit status 128 + n for the shell, `signal` for a parent). When the program has its own listener,
 * that listener decides what happens next. The listeners are installed only while something is registered.
 */

/** How the process ends: by a signal, or by an exit with this code (an uncaught exception exits with 1). */
export interface ProcessEnding {
  signal?: 'SIGINT' | 'SIGTERM';
  exitCode?: number;
}

type Saver = (ending: ProcessEnding) => void;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type EndSignal = (typeof SIGNALS)[number];

const savers = new Set<Saver>();
let installed = false;

function saveAll(ending: ProcessEnding): void {
  for (const saver of [...savers]) {
    try {
      saver(ending);
    } catch {
      // The process is ending: a saver reports its own errors (as warnings); one failure must not stop the rest.
    }
  }
}

function onSignal(signal: EndSignal): void {
  saveAll({ signal });
  // Someone else listens: their handler decides what the signal does, and we are done.
  if (process.listenerCount(signal) > 1) return;
  uninstall();
  process.kill(process.pid, signal);
}

const saveAtExit = (exitCode: number) => saveAll({ exitCode });

const signalListeners = new Map<EndSignal, () => void>(SIGNALS.map((signal) => [signal, () => onSignal(signal)]));

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', saveAtExit);
  for (const [signal, listener] of signalListeners) process.on(signal, listener);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', saveAtExit);
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
}

/**
 * Calls `save` (synchronously) if the process ends, by exit or by SIGINT/SIGTERM, while it is registered; returns
 * the function that unregisters it. `save` may run more than once (a signal the program handles itself, then the
 * exit), so it writes only what it has not written yet.
 */
export function onProcessEnd(save: Saver): () => void {
  savers.add(save);
  install();
  return () => {
    savers.delete(save);
    if (savers.size === 0) uninstall();
  };
}
