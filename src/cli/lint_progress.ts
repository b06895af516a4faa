/**
 * Progress of a long run on a terminal: one line on stderr, redrawn in place, shown only after half a second
 * (a quick run prints nothing) and erased at the end. Never on a non-terminal, so CI logs stay clean.
 */
import type { LintProgress } from '../lint/run_linters.js';
import { isTerminal } from './stdio.js';

const DELAY_MS = 500;
const INTERVAL_MS = 100;

interface ProgressLine {
  update(progress: LintProgress): void;
  stop(): void;
}

export function createProgressLine(given?: NodeJS.WriteStream): ProgressLine | undefined {
  // Asked of the descriptor first: process.stderr is created only for a terminal (see stdio.ts).
  if (given ? !given.isTTY : !isTerminal(2)) return undefined;
  const stream = given ?? process.stderr;
  const state: Partial<Record<LintProgress['phase'], LintProgress>> = {};
  const started = Date.now();
  let drawn = false;
  const draw = () => {
    if (Date.now() - started < DELAY_MS) return;
    const parts = (['eslint', 'prettier'] as const)
      .map((phase) => state[phase])
      .filter((progress): progress is LintProgress => progress !== undefined)
      .map((progress) => `${progress.phase === 'eslint' ? 'ESLint' : 'Prettier'} ${progress.done}/${progress.total}`);
    const text = `gymnos lint: ${parts.length ? parts.join(' · ') : 'loading the linters…'}`;
    stream.write(`\r\x1b[K${text.slice(0, Math.max(20, (stream.columns || 80) - 1))}`);
    drawn = true;
  };
  const timer = setInterval(draw, INTERVAL_MS);
  timer.unref();
  return {
    update(progress) {
      state[progress.phase] = progress;
    },
    stop() {
      clearInterval(timer);
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
