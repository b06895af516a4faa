/**
 * The same colour settings for every test process, whatever the terminal or shell `npm test` runs in:
 * `node --import ./test/loader/environment.mjs` (test/run.mjs adds it).
 *
 * Node's runner gives its test processes FORCE_COLOR=1 when its own output is a colour terminal, and a user's shell
 * may set FORCE_COLOR or NO_COLOR; either reached every command a test runs and every in-process formatter, which
 * then printed colour codes where the tests read plain text (14 failures of `npm test` on a terminal). Here, in each
 * test process (the runner's own output keeps its colours), both are removed before a test file loads: a test that
 * is about colour sets them for the command it runs.
 */
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'NODE_DISABLE_COLORS']) delete process.env[name];
}
