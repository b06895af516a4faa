/**
 * Every test and hook of the suite has a timeout: `node --import ./test/loader/timeouts.mjs` (test/run.mjs adds it).
 *
 * Node 20's runner gives a test no timeout unless asked, and its --test-timeout reaches only the runner's own test
 * of each file process (test/run.mjs sets that too, as the limit of a whole process). Here test(), it() and the
 * before/after hooks of node:test take GYMNOS_TEST_TIMEOUT_MS, unless they set a timeout of their own or a
 * describe() around them does. A test that times out fails, its t.after() callbacks run (helpers/children.ts kills
 * the test's child processes there), and the next test runs.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const DEFAULT_MS = Number(process.env.GYMNOS_TEST_TIMEOUT_MS);
const nodeTest = createRequire(import.meta.url)('node:test');

/** The timeouts the describe() blocks being built set, innermost last (their bodies run synchronously). */
const suiteTimeouts = [];
const currentDefault = () => suiteTimeouts.at(-1) ?? DEFAULT_MS;

/** The arguments of test(name?, options?, fn?) with a timeout in the options unless one is given. */
function withTimeout(args) {
  const rest = [...args];
  const name = typeof rest[0] === 'string' ? [rest.shift()] : [];
  const options = typeof rest[0] === 'object' && rest[0] !== null ? rest.shift() : {};
  return [...name, { timeout: currentDefault(), ...options }, ...rest];
}

/** A describe() whose options set a timeout makes it the default of what is declared in its body. */
function inSuite(args) {
  const options = args.find((arg) => typeof arg === 'object' && arg !== null);
  const at = args.findIndex((arg) => typeof arg === 'function');
  if (options?.timeout === undefined || at < 0) return args;
  const body = args[at];
  const wrapped = function (...bodyArgs) {
    suiteTimeouts.push(options.timeout);
    try {
      return body.apply(this, bodyArgs);
    } finally {
      suiteTimeouts.pop();
    }
  };
  return args.map((arg, index) => (index === at ? wrapped : arg));
}

/** `fn` with `change` applied to its arguments, and its .skip, .todo and .only variants alike. */
function wrap(fn, change) {
  const wrapped = (...args) => fn(...change(args));
  for (const variant of ['skip', 'todo', 'only']) {
    if (typeof fn[variant] === 'function') wrapped[variant] = (...args) => fn[variant](...change(args));
  }
  return wrapped;
}

/** A hook's (fn, options) with a timeout unless one is given. */
function hookWithTimeout([fn, options]) {
  return [fn, { timeout: currentDefault(), ...options }];
}

if (DEFAULT_MS > 0) {
  for (const name of ['test', 'it']) nodeTest[name] = wrap(nodeTest[name], withTimeout);
  for (const name of ['describe', 'suite']) nodeTest[name] = wrap(nodeTest[name], inSuite);
  for (const name of ['before', 'after', 'beforeEach', 'afterEach']) {
    nodeTest[name] = wrap(nodeTest[name], hookWithTimeout);
  }
  syncBuiltinESMExports();
}
