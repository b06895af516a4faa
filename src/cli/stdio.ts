/**
 * Writing to stdout and stderr without creating process.stdout and process.stderr where that is not needed.
 *
 * Node creates those streams on first use, and for a pipe or a socket (how a parent process, CI or `| less` reads a
 * command's output) that loads net and the stream modules: about 6 ms of a short command's start-up, a tenth of
 * all it does. A command's output is small and written in order, so to a pipe, a socket or a file it is written
 * with fs.writeSync, as the streams themselves write to files (and, on Linux, to pipes). A terminal, or a
 * non-blocking pipe that is full, goes through the stream. A reader that went away (`gymnos ... | head`) is not an
 * error: what is left is dropped, and the command finishes with its own exit code.
 */
import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';

type Fd = 1 | 2;

/** Per descriptor: written directly (true), through the stream (false), or not yet known. */
const direct: Partial<Record<Fd, boolean>> = {};
const gone: Partial<Record<Fd, boolean>> = {};

/**
 * Whether `fd` is a terminal; only a character device is asked (the tty module costs what the streams do). The
 * stat is a bigint one: a plain fstatSync leaves its result in the buffer Node's realpathSync reads for the path
 * components it has cached, and a pipe's left there makes it stop early and return a symlink's path instead of the
 * real one (nodejs/node#51142): under pnpm, tsx then resolved as the project's node_modules/tsx link, failed to
 * find its own esbuild, and `gymnos list trackers 2>&1 | cat` called every TypeScript tracker "not built".
 */
export function isTerminal(fd: number): boolean {
  try {
    return fstatSync(fd, { bigint: true }).isCharacterDevice() && isatty(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EBADF') return false; // closed
    throw error;
  }
}

function writesDirectly(fd: Fd): boolean {
  direct[fd] ??= !isTerminal(fd);
  return direct[fd];
}

function stream(fd: Fd): NodeJS.WriteStream {
  return fd === 1 ? process.stdout : process.stderr;
}

function write(fd: Fd, text: string): void {
  if (gone[fd] || text === '') return;
  if (!writesDirectly(fd)) {
    stream(fd).write(text);
    return;
  }
  let rest: string | Buffer = text;
  try {
    let written = writeSync(fd, text);
    if (written < Buffer.byteLength(text)) {
      rest = Buffer.from(text).subarray(written);
      while (rest.length > 0) {
        written = writeSync(fd, rest);
        rest = rest.subarray(written);
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The reader closed its end: of a pipe (EPIPE), or of a socket with output still unread in it (ECONNRESET).
    if (code === 'EPIPE' || code === 'ECONNRESET') {
      gone[fd] = true;
      return;
    }
    if (code !== 'EAGAIN') throw error;
    // A non-blocking pipe that is full: the stream waits for the reader, for this and every later write.
    direct[fd] = false;
    stream(fd).write(rest);
  }
}

export function writeStdout(text: string): void {
  write(1, text);
}

export function writeStderr(text: string): void {
  write(2, text);
}
