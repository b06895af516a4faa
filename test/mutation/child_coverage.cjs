// Loaded first in every test process of a mutation run's dry run (`-r`, before the tap runner's own hook) and, through
// NODE_OPTIONS, in every process those start: the tap runner measures which mutants a test file reaches from the
// test's own process only, and many of our tests prove a guarantee from outside, in a child (a killed writer, a
// reader in another process, the CLI). Each descendant writes the coverage it recorded into a directory at its exit;
// the test process adds it to its own before the tap runner's hook saves that. Without this, a mutant reached only
// in a child would count as "no coverage" and never run. Only the dry run measures coverage: mutant runs skip this.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIRECTORY = 'GYMNOS_MUTATION_COVERAGE_DIR';
const NAMESPACE = process.env.STRYKER_NAMESPACE || '__stryker__';

/** Adds the hit counts of `from` ({ static, perTest }) into `into` (a flat id -> count map). */
function addCoverage(into, from) {
  for (const counts of [from.static || {}, ...Object.values(from.perTest || {})]) {
    for (const [id, count] of Object.entries(counts)) into[id] = (into[id] || 0) + count;
  }
}

if (process.env.STRYKER_DRY_RUN === 'true') {
  const inherited = process.env[DIRECTORY];
  if (inherited) {
    // A descendant: write what it covered, at its exit.
    const writeCoverage = () => {
      const coverage = globalThis[NAMESPACE]?.mutantCoverage;
      if (!coverage) return;
      try {
        fs.writeFileSync(path.join(inherited, `${process.pid}.json`), JSON.stringify(coverage));
      } catch (error) {
        // Outlived its test process, which has read the directory and removed it: too late to count.
        if (error.code !== 'ENOENT') throw error;
      }
    };
    process.on('exit', writeCoverage);
    // And before it kills itself: a process that handles SIGINT or SIGTERM (undoing a commit, saving a tracker's
    // data: runtime/process_end.ts) raises the signal again once done, and ends without an exit event. Without
    // this, what such a handler ran counted as covered by no test (create-new's rollback on SIGINT: reached only
    // in the CLI children that create_new_faults.test.ts interrupts), and its mutants were never run against the
    // test that reaches them. A listener would change how the process handles the signal; this does not. A
    // process killed from outside (SIGKILL) still writes nothing: its parent's test covers what it ran, if at all.
    const kill = process.kill;
    process.kill = function killSelfAfterCoverage(pid, signal) {
      if (pid === process.pid || pid === 0) writeCoverage();
      return kill.call(this, pid, signal);
    };
  } else {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gymnos-mutation-coverage-'));
    process.env[DIRECTORY] = directory;
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS || ''} --require ${JSON.stringify(__filename)}`.trim();
    // Registered before the tap runner's hook registers its own: runs first at exit.
    process.on('exit', () => {
      const own = globalThis[NAMESPACE] || (globalThis[NAMESPACE] = {});
      const merged = {};
      addCoverage(merged, own.mutantCoverage || {});
      for (const name of fs.readdirSync(directory)) {
        addCoverage(merged, JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8')));
      }
      own.mutantCoverage = { static: merged, perTest: {} };
      fs.rmSync(directory, { recursive: true, force: true });
    });
  }
}
