/**
 * A check whose prerequisite is missing (the python readers, a built dist/): outside CI it skips, and the skip
 * line says what is missing and how to get it; in CI (CI=true) it fails with the same line, so that a CI image
 * without the readers cannot pass by skipping what it was meant to check.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Skips the test (or, in CI, fails it) with `why`; return its result from the test. */
export function missingPrerequisite(t: TestContext, why: string): void {
  if (IN_CI) assert.fail(`${why} (CI=true: a check whose prerequisite is missing fails instead of skipping)`);
  t.skip(why);
}

/** For `describe(name, { skip })`: the reason outside CI, false in CI (the tests then run, fail, and say why). */
export function skipUnless(ready: boolean, why: string): string | false {
  return ready || IN_CI ? false : why;
}
