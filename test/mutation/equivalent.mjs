// Surviving mutants that no test can tell from the original code (equivalent mutants), each with why: the mutation
// run (test/mutation/run.mjs) shows them apart and leaves them out of the score. A mutant is matched by its file,
// its mutator, the source text it replaced and its replacement, so it stays matched when lines move; where that text
// is not unique (a `true` among several), `at` is the text around it with the mutated part between « and ». Keep this
// list short and each reason checkable: a survivor that a test could catch is a test still owed, not an equivalent.

const NUMBER_FORMAT = 'src/runs/number_format.ts';
/** formatNumber's and formatFloat32's early return for NaN and ±Infinity: the general path spells them the same. */
const NON_FINITE_SHORTCUT =
  'an early return for NaN and ±Infinity only: without it the general path gives the same text (toPrecision and ' +
  "toExponential spell them 'NaN', 'Infinity', '-Infinity', and inNotation keeps them)";

const entry = (file, mutator, original, replacement, reason, at) => ({
  file,
  mutator,
  original,
  replacement,
  reason,
  at,
});

const FILE_LOCK = 'src/util/file_lock.ts';
const REGISTRY_LOCK = 'src/scaffold/registry_lock.ts';
const FINGERPRINT = 'src/lint/fingerprint.ts';
const NUMBER_TEXT = 'src/runtime/number_text.ts';
const CHECKS = 'src/testing/checks.ts';
const LOGGED = 'src/testing/logged.ts';
/** finiteNumberText's test for magnitudes of 1 or more: 1 and -1 take the fraction's path to the same text. */
const UNIT_MAGNITUDE =
  "1 and -1 are one digit in toExponential's text, so the fraction's path returns String(value) for them too";

const DRAIN = 'src/trackers/remote/drain.ts';
const REPORT = 'src/trackers/remote/delivery_report.ts';
/** drain.ts's sleep: its listener's `once`. */
const ONCE_LISTENER =
  'the listener removes itself the first time it runs (done calls removeEventListener): `once` adds nothing';

const OUTCOMES = 'src/trackers/remote/outcomes.ts';
const TO_SPOOL = 'src/trackers/remote/to_spool.ts';
const SPOOL = 'src/trackers/remote/spool.ts';
/** Spool.#append's check of the bound again after the compaction it may run. */
const BOUND_AGAIN =
  'the bound checked again after the same check led to a compaction: neither writing out the lines of the call ' +
  "(they move from `added` into the queue's size) nor the compaction (it moves the offset and the size by the same " +
  'shift) changes liveBytes + added, so the check is true whenever it is reached (a compaction frees disk, never ' +
  'room under the bound, which counts undelivered bytes only)';
/** Spool.#writeCursor's write: atomic, not durable. */
const CURSOR_NOT_DURABLE =
  "durable only adds fsyncs of the cursor file and of its directory: the cursor's content and its atomic rename are " +
  "the same; only a power cut, or the time taken (bench/README.md, the spool's cursor), tells them apart";
/** DeliveryCore.warnOnce's keys: each only has to differ from the others. */
const WARN_ONCE_KEY = "warnOnce's key: any text no other once-only warning uses ('', too) says it once all the same";
/**
 * spoolNow's `if (inDoubt)` before it forgets a memory doubt. (A doubt does reach spoolNow: a log call between the lost
 * answer and the spill that follows it; remote_delivery.test.ts stages one.)
 */
const NO_DOUBT_IN_MEMORY =
  'the memory doubt is forgotten once its batch is spooled with it (inDoubt > 0); when the records spooled do not ' +
  'start with that batch (inDoubt 0), forgetting it or not changes nothing: the doubt then names a record no longer ' +
  'in memory or a batch in flight again, and memoryDoubtLength (which compares that very record) never matches the ' +
  "queue's front again, while the answer to a send in flight sets the doubt anew (spoolAtExit reads the flight " +
  'first)';
const DELIVERY_CORE = 'src/trackers/remote/delivery_core.ts';
const SESSION_SPOOL = 'src/trackers/remote/session_spool.ts';
const REQUEST_STEP = 'src/trackers/remote/request_step.ts';
const DELIVERY = 'src/trackers/remote/delivery.ts';
/** request_step.ts's doubtOf: a doubt only for a retryable failure before anything of the batch was settled. */
const PARTLY_SETTLED =
  'a doubt for a batch partly settled changes nothing: from the spool, its range starts before the cursor (moved ' +
  'past the settled records), so the next step finds no record before that start (an empty batch: the doubt is ' +
  "cleared) and a reopened spool drops it (a range before the offset); from memory, it names the batch's first " +
  'record, forgotten as settled, which memoryDoubtLength never matches. A stopped failure carries no doubt, and ' +
  'a result without a failure settles its records (settled > 0). (The rest of such a batch is sent again without ' +
  'asking: a gap of the code, not of the tests; bench/README.md)';
/** saveMeta's check that run.json is up to date: without it, run.json is written again with the same content. */
const SAME_RUN_JSON =
  'run.json written again with the same content (saveMeta skips a write only when nothing changed since the last ' +
  "one): no reader of the spool can tell, only its modification time moves (a killed run's end time is the " +
  "spool's last write: a write while the process still ran, so no later than its end)";
/** DeliveryCore.setStatus's end of the session: how its callers call it. */
const SESSION_ENDED =
  "every caller sets a final status (never RUNNING) while the session is 'open' (spoolAtExit and a redelivery check " +
  "that first) or already 'ended' (end() after an exit's flush): 'ended' is what the session becomes either way";
/** DeliveryCore.memoryDoubtLength: when a memory doubt exists at all. */
const DOUBT_AT_FRONT =
  "a memory doubt's batch leaves the memory queue only from its front (forgetData, forgetFirst: its first record " +
  'goes first) or whole (takeBeyond keeps a batch in flight, which a batch in doubt is when it is sent again): when ' +
  'its first record is at the front, all of it follows, so the length check always holds';
/** DeliveryCore.keepPace's guard: the paces a backend gives. */
const PACE_GUARD =
  'a pace is undefined, 0 or positive: 0 leaves paceMs as it is (Math.max with 0), and undefined is still kept out';
const SYNC = 'src/trackers/remote/sync.ts';
/** settled()'s reads of a run.json that syncLogdir could not read (meta undefined) when the delivery says `killed`. */
const KILLED_WITHOUT_RUN_JSON =
  'unreachable: a report says `killed` only when the run.json its delivery read records the session killed ' +
  '(delivery_report.ts), so meta is undefined here only if a run.json appeared in the instant between the two ' +
  "reads of one spool (sync's, then its delivery's), written by a process that died in that instant";
/** unsettled()'s URI when the run has no backend: `gymnos sync` always gives mlflow's, the default. */
const NO_BACKEND_HAS_META =
  'unreachable from gymnos sync (cli/sync.ts gives the mlflow backend, the one a spool without run.json is given): ' +
  'a run has no backend only when its run.json names an unknown one, so meta is defined then, and its trackingUri ' +
  'a string (isRunMeta checked it)';

export const EQUIVALENT = [
  ...[
    ['EqualityOperator', 'value >= 1', 'value > 1'],
    ['EqualityOperator', 'value <= -1', 'value < -1'],
  ].map(([mutator, original, replacement]) => entry(NUMBER_TEXT, mutator, original, replacement, UNIT_MAGNITUDE)),
  entry(
    NUMBER_TEXT,
    'EqualityOperator',
    'value < 0',
    'value <= 0',
    'zero has returned before: the sign test of a fraction sees no zero',
  ),
  entry(
    NUMBER_FORMAT,
    'EqualityOperator',
    'digits < 9',
    'digits <= 9',
    'nine significant digits always identify a float32, so the ninth try returns what the line after the loop does',
  ),
  ...[
    ['ConditionalExpression', 'value !== value || value === Infinity || value === -Infinity', 'false'],
    [
      'LogicalOperator',
      'value !== value || value === Infinity || value === -Infinity',
      '(value !== value || value === Infinity) && value === -Infinity',
    ],
    ['ConditionalExpression', 'value !== value || value === Infinity', 'false'],
    ['LogicalOperator', 'value !== value || value === Infinity', 'value !== value && value === Infinity'],
    ['ConditionalExpression', 'value !== value', 'false'],
    ['ConditionalExpression', 'value === Infinity', 'false'],
    ['ConditionalExpression', 'value === -Infinity', 'false'],
    ['UnaryOperator', '-Infinity', '+Infinity'],
    ['ConditionalExpression', 'single !== single || single === Infinity || single === -Infinity', 'false'],
    [
      'LogicalOperator',
      'single !== single || single === Infinity || single === -Infinity',
      '(single !== single || single === Infinity) && single === -Infinity',
    ],
    ['ConditionalExpression', 'single !== single || single === Infinity', 'false'],
    ['LogicalOperator', 'single !== single || single === Infinity', 'single !== single && single === Infinity'],
    ['ConditionalExpression', 'single !== single', 'false'],
    ['ConditionalExpression', 'single === Infinity', 'false'],
    ['ConditionalExpression', 'single === -Infinity', 'false'],
  ].map(([mutator, original, replacement]) =>
    entry(NUMBER_FORMAT, mutator, original, replacement, NON_FINITE_SHORTCUT),
  ),
  entry(
    NUMBER_FORMAT,
    'LogicalOperator',
    'value !== null && Number.isFinite(value)',
    'value !== null || Number.isFinite(value)',
    "NaN and ±Infinity let into the distinctness check change nothing: their texts ('NaN', 'Infinity') never " +
      'collide with a finite value, and they are written by String(value) all the same',
  ),
  entry(
    NUMBER_FORMAT,
    'ConditionalExpression',
    'value !== null',
    'true',
    'Number.isFinite(null) is false: the null test is there for TypeScript',
  ),
  entry(
    NUMBER_FORMAT,
    'EqualityOperator',
    'digits < DOUBLE_DIGITS',
    'digits <= DOUBLE_DIGITS',
    'a 16th digit tried changes no text: formatNumber rounds to 15 significant digits whatever it is given',
  ),
  entry(
    NUMBER_FORMAT,
    'LogicalOperator',
    "typeof inner === 'number' && Number.isFinite(inner)",
    "typeof inner === 'number' || Number.isFinite(inner)",
    'Number.isFinite is false for every non-number; a non-finite number rounded is still non-finite, which JSON ' +
      'writes as null either way',
  ),
  entry(
    NUMBER_FORMAT,
    'ConditionalExpression',
    "typeof inner === 'number'",
    'true',
    'Number.isFinite is false for every non-number: the typeof test is there for TypeScript',
  ),
  entry(
    NUMBER_FORMAT,
    'Regex',
    '/\\.\\d+Z$/',
    '/\\.\\d+Z/',
    "toISOString always ends in '.sssZ' and has no other '.': the pattern finds the same text anchored or not",
  ),
  entry(
    CHECKS,
    'ArrayDeclaration',
    '[]',
    '["Stryker was here"]',
    'a read-back without metrics: a stand-in list without a metric named loss fails the same assertion',
    '(atEnd.metrics ?? «[]»)',
  ),
  ...[
    ['ConditionalExpression', 'proto === Tracker.prototype || proto === Object.prototype', 'false'],
    [
      'LogicalOperator',
      'proto === Tracker.prototype || proto === Object.prototype',
      'proto === Tracker.prototype && proto === Object.prototype',
    ],
    ['ConditionalExpression', 'proto === Tracker.prototype', 'false'],
    ['ConditionalExpression', 'proto === Object.prototype', 'false'],
  ].map(([mutator, original, replacement]) =>
    entry(
      CHECKS,
      mutator,
      original,
      replacement,
      "walking on past the plugin's classes finds the base class's own hook (which returns nothing, at once: it " +
        'passes the same) or, on Object.prototype, none',
    ),
  ),
  entry(CHECKS, 'StringLiteral', "'value'", '""', "the probe tag's value: '' is a tag value like any other string"),
  entry(CHECKS, 'StringLiteral', "'x'", '""', "the tag's value: the TypeError is for its key, 42, either way"),
  entry(
    CHECKS,
    'EqualityOperator',
    'over.length * 2 > CALLS_MEASURED',
    'over.length * 2 >= CALLS_MEASURED',
    'an even number never equals CALLS_MEASURED, 3',
  ),
  entry(
    CHECKS,
    'EqualityOperator',
    'ms > kit.maxLogCallMs',
    'ms >= kit.maxLogCallMs',
    'a measured call blocking exactly the limit, to the nanosecond: no test can make one',
  ),
  entry(
    CHECKS,
    'StringLiteral',
    "'end()'",
    '""',
    "the end check's second end() returns the first one's promise, which hung first if it hangs",
    "setTimeout(resolve, 50));\n  await kit.within(«'end()'», tracker.end());",
  ),
  entry(
    CHECKS,
    'StringLiteral',
    "'readBack'",
    '""',
    "the end check's second read-back: a read-back that hangs hung at the first one",
    "assert.deepEqual(await kit.within(«'readBack'», readBack(run)), atEnd",
  ),
  entry(
    CHECKS,
    'StringLiteral',
    "'a second end() returns the same promise'",
    '""',
    "end() is the base class's guard, which returns one promise; a tracker whose callers get another end() fails " +
      'the guards check',
  ),
  entry(
    'src/testing/compare.ts',
    'ConditionalExpression',
    "typeof got === 'string'",
    'true',
    'a value that is not a string is never === a string (the logged string, or the JSON text)',
  ),
  ...[
    ['ConditionalExpression', 'error instanceof SyntaxError', 'true'],
    ['BlockStatement', '{\n    if (error instanceof SyntaxError) return undefined;\n    throw error;\n  }', '{}'],
  ].map(([mutator, original, replacement]) =>
    entry('src/testing/compare.ts', mutator, original, replacement, 'JSON.parse of a string throws SyntaxError only'),
  ),
  entry(
    'src/testing/compare.ts',
    'ConditionalExpression',
    'content !== undefined',
    'true',
    'sameContent of no content is false for every content the kit logs (bytes, or a spec)',
    'contents.some((content) => «content !== undefined» && sameContent',
  ),
  entry(
    'src/testing/blocked_time.ts',
    'MethodExpression',
    'schedstat.trim()',
    'schedstat',
    "the wait is the second of schedstat's three fields: the line's end follows the third",
  ),
  ...[
    ['ArithmeticOperator', '0.1 + 0.2', '0.1 - 0.2'],
    ['ArithmeticOperator', '-Math.PI * 1e-9', '-Math.PI / 1e-9'],
    ['UnaryOperator', '-Math.PI', '+Math.PI'],
    ['ArithmeticOperator', '2 ** 53 - 1', '2 ** 53 + 1'],
    ['UnaryOperator', '-Number.MIN_VALUE', '+Number.MIN_VALUE'],
    ['ArithmeticOperator', '2 / 3', '2 * 3'],
    ['ArithmeticOperator', 'step + 0.5', 'step - 0.5'],
    [
      'ArithmeticOperator',
      'Math.sin(step + 0.5) * 10 ** ((step % 7) - 3)',
      'Math.sin(step + 0.5) / 10 ** (step % 7 - 3)',
    ],
    ['ArithmeticOperator', '(step % 7) - 3', 'step % 7 + 3'],
  ].map(([mutator, original, replacement]) =>
    entry(
      LOGGED,
      mutator,
      original,
      replacement,
      'a value the kit logs changed into another that a backend keeping less than float64 still loses: no value ' +
        'matters alone, every way of losing precision we know of (float32, 3, 6 or 10 decimals, 6, 15 or 16 ' +
        "significant digits, a text cut short, subnormals flushed, float32's range, integers past 2^31) is still " +
        "caught, by this value or another (test/testing/compare.test.ts: 'catch every way we know of')",
    ),
  ),
  entry(
    LOGGED,
    'ArrayDeclaration',
    "[\n    { name: 'loss', step: 0, value: 0.5 },\n    { name: 'loss', step: 10, value: 0.25 },\n" +
      "    { name: 'loss', step: 11, value: 0.125 },\n  ]",
    '[]',
    'the loss points left out of what is expected (still logged): what they catch, something else does: a step ' +
      'given explicitly (val/accuracy at 3), implicit steps from 0 (precise, val/curve), a tracker that keeps one ' +
      "value a name (precise's eight); the step after an explicit one is resolved by the base class, not the plugin",
  ),
  entry(
    LOGGED,
    'MethodExpression',
    'points.slice(half)',
    'points',
    'the first half logged again after the flush: a backend then holds those points twice, which the kit allows ' +
      "(delivery is at least once: a re-send after a crash; compare.test.ts, 'repeated points allowed'), and " +
      'the second half is still logged only after the flush, so a tracker that sends only its first batch fails',
  ),
  entry(
    'src/testing/index.ts',
    'StringLiteral',
    '`gymnos-conformance-${name}-`',
    '``',
    "the temporary directory's name: removed after each test either way, it only tells a person whose it is",
  ),
  entry(
    'src/testing/index.ts',
    'BooleanLiteral',
    'true',
    'false',
    'the directory removed after each test is the one its beforeEach made: it is there',
    'await rm(dir, { recursive: true, force: «true» });',
  ),
  entry(
    'src/testing/index.ts',
    'StringLiteral',
    "'logs'",
    '""',
    "the run's logdir: the test's own temporary directory or a directory in it, removed after the test either way",
  ),
  entry(
    'src/testing/index.ts',
    'ObjectLiteral',
    '{ timeout: backstop }',
    '{}',
    "node:test's backstop for a check whose every await goes through kit.within, whose timeout names the hang first",
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'gymnos-lint-fingerprint/3'",
    '""',
    "the stored file's format name: a build writes and reads its own, whatever it is, and a file stored by another " +
      "build is not replayed anyway (the engine identity, its code files' sizes and times, is in every fingerprint)",
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'none'",
    '""',
    "the stand-in for a linter that is not installed ('none' or ''): each differs from every version, which is all " +
      'the key needs (test/lint/engine.test.ts: a missing linter changes the fingerprint)',
  ),
  ...[
    [
      'readdirSync(directory)\n    .filter((name) => /\\.[cm]?[jt]s$/.test(name))\n    .sort()',
      'readdirSync(directory).filter(name => /\\.[cm]?[jt]s$/.test(name))',
      "unsorted: readdir gives the same directory's entries in the same order from one run to the next (sorting " +
        'only makes the key independent of the file system)',
    ],
    [
      'readdirSync(directory)\n    .filter((name) => /\\.[cm]?[jt]s$/.test(name))',
      'readdirSync(directory)',
      "every file of the engine's directory, not only its code: the others (source maps, declarations) change only " +
        'along with the code',
    ],
  ].map(([original, replacement, reason]) => entry(FINGERPRINT, 'MethodExpression', original, replacement, reason)),
  ...['/\\.[cm]?[jt]s/', '/\\.[^cm]?[jt]s$/'].map((replacement) =>
    entry(
      FINGERPRINT,
      'Regex',
      '/\\.[cm]?[jt]s$/',
      replacement,
      "the engine's own files: the pattern changed this way still takes every code file there is (.ts, .js; a map " +
        'or declaration taken too changes only with its code)',
    ),
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'\\n'",
    '""',
    "the separator of the engine identity's parts (version, linters' versions, files): run together they still " +
      'differ whenever one part does, each part starting with a fixed name',
    "...files].join(«'\\n'»)",
  ),
  entry(
    FINGERPRINT,
    'ArrayDeclaration',
    '[REGISTRY_FILE]',
    '[]',
    'no registry and no src/trackers/: its absence keyed (as unreadable) or not at all, the fingerprint changes ' +
      'once it appears, since every source and the registry are keyed then',
  ),
  ...["'format'", "'engine'", "'options'", "'files'", "'all files'"].map((label) =>
    entry(
      FINGERPRINT,
      'StringLiteral',
      label,
      '""',
      'the label of an entry every fingerprint has, at its fixed place (format, engine, options, the config ' +
        "inputs each labelled 'config <name>', files, all files, the keyed files each labelled 'file <name>'): " +
        'each entry framed by its length, the entries still read back one way without it, so different projects ' +
        'still hash different bytes',
    ),
  ),
  entry(
    FINGERPRINT,
    'ConditionalExpression',
    "typeof entry.fingerprint === 'string'",
    'true',
    'a stored entry whose fingerprint is not a string: the one computed is a string, so the entry is never ' +
      'replayed, checked or not',
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'utf8'",
    '""',
    'the stored file read as bytes: JSON.parse reads a Buffer as its UTF-8 text',
    "JSON.parse(readFileSync(this.file, «'utf8'»))",
  ),
  entry(
    FINGERPRINT,
    'ArrayDeclaration',
    '[]',
    '["Stryker was here"]',
    'not type-aware, one more file name keyed, and missing, in every fingerprint: the same bytes in every project',
    'TYPE_CHECKER_INPUT.test(file)) : «[]»;',
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "the stand-in for an error without a code, reading a linter's version: any text that is not one of NO_VERSION's " +
      'codes, so that error is thrown either way',
    "NO_VERSION.has((error as NodeJS.ErrnoException).code ?? «''»)",
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'\\n'",
    '""',
    'the separator of the linted files: which files are linted follows from the file list (hashed next) and the ' +
      "paths asked (the stored report's key), and each linted file is named again in its own entry",
    "input.lintFiles.join(«'\\n'»)",
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    "'\\n'",
    '""',
    'the separator of the file list: names run together only change a result through a file named nowhere else, ' +
      'and such a file (not linted, not a source, nor data the type checker reads, nor a config input) counts for ' +
      'the rules only by lying under src/trackers/, which runs the contract rules: without a registry they report ' +
      'only on the sources there, each named in its own entry (and with one, they run either way)',
    "input.allFiles.join(«'\\n'»)",
  ),
  entry(
    FINGERPRINT,
    'MethodExpression',
    '[...linted].sort()',
    '[...linted]',
    'unsorted, the keyed files come in an order that follows from what is hashed before them (the linted files, ' +
      'the file list, type-aware or not, the registry present or not): the same project keys the same bytes, and two ' +
      'projects that differ there differ before',
  ),
  entry(
    FINGERPRINT,
    'StringLiteral',
    '`file ${file}`',
    '``',
    'the name of each keyed file: every one is in the file list hashed before (all files) but the registry, which ' +
      'is keyed always, present or not; which files are keyed, and in which order, follows from what is hashed ' +
      'before, so their contents alone tell two projects apart',
  ),
  entry(
    'src/report/html.ts',
    'ConditionalExpression',
    'pageScript !== undefined',
    'false',
    "the page script's cache: without it each report bundles the page again, to the same text (only slower)",
  ),
  entry(
    'src/report/html.ts',
    'StringLiteral',
    "'utf8'",
    '""',
    "hash.update's encoding of a string: utf8 is its default, so none given hashes the same bytes",
  ),
  entry(
    'src/util/atomic_write.ts',
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "a directory sync's error without a code: no stand-in for the missing code is in the set of unsupported ones, " +
      'so it is thrown either way',
  ),
  entry(
    'src/util/atomic_write.ts',
    'MethodExpression',
    'Math.random().toString(36).slice(2, 10)',
    'Math.random().toString(36)',
    "the random part of a temporary file's name: with its '0.' and all its digits it is as unique, the name as " +
      'recognizable (hidden, the pid, the .gymnos-tmp suffix), and nothing parses it',
  ),
  entry(
    FILE_LOCK,
    'BlockStatement',
    '{\n    return undefined; // not written yet, half written, or the lock is gone\n  }',
    '{}',
    'an empty catch block returns undefined as well: the function ends there',
  ),
  entry(
    FILE_LOCK,
    'ConditionalExpression',
    'owner.pid !== process.pid',
    'true',
    'this process runs: isRunning(process.pid) is true, so a lock naming it is never found gone either way',
  ),
  ...[
    ['Date.now() - held.mtimeMs > staleMs', 'Date.now() - held.mtimeMs >= staleMs'],
    ['Date.now() > deadline', 'Date.now() >= deadline'],
  ].map(([original, replacement]) =>
    entry(
      FILE_LOCK,
      'EqualityOperator',
      original,
      replacement,
      'a boundary of two clock readings a millisecond apart: no test can make the clock stop on it (the boundary of ' +
        "the wait notice, on the lock's own clock, is tested)",
    ),
  ),
  entry(
    FILE_LOCK,
    'BooleanLiteral',
    'true',
    'false',
    "the guard is this taker's own, just created, and no other taker removes it while it is fresh (this process " +
      'runs): force only matters for a path that is gone',
    '} finally {\n    await rm(guard, { recursive: true, force: «true» });',
  ),
  entry(
    FILE_LOCK,
    'BooleanLiteral',
    'true',
    'false',
    'takeOver returned true: this call created the lock a moment ago, under the guard, so it is there to remove',
    'staleMs))) {\n    await rm(lockDir, { recursive: true, force: «true» });',
  ),
  entry(
    FILE_LOCK,
    'ConditionalExpression',
    'createLock(lockDir)',
    'false',
    "lockFile's first try skipped: the next line (no empty lock to remove: rmdir finds none, ENOENT, true) creates " +
      'the lock the same way, in the same turn of the loop',
    '    if («createLock(lockDir)») break;',
  ),
  entry(
    FILE_LOCK,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "a release's error without a code: no stand-in for the missing code is among the expected ones, so it is " +
      'thrown either way',
  ),
  entry(
    FILE_LOCK,
    'LogicalOperator',
    '(await isAbandoned(lockDir, staleMs)) && (await takeOver(lockDir, staleMs))',
    '(await isAbandoned(lockDir, staleMs)) || (await takeOver(lockDir, staleMs))',
    'they differ only for a lock that is not abandoned: a held one takeOver leaves (it looks again under the guard), ' +
      'and none at all, which takeOver creates and the next line removes: nothing is left either way',
  ),
  // create-new
  ...['true', 'delay >= 0'].map((replacement) =>
    entry(
      'src/scaffold/commit_points.ts',
      replacement === 'true' ? 'ConditionalExpression' : 'EqualityOperator',
      'delay > 0',
      replacement,
      'with no GYMNOS_TEST_STEP_DELAY_MS a point waits sleep(0), a timer of 1 ms, instead of setImmediate: ' +
        'either way it yields to the event loop (a signal is handled between two steps) and resumes at once; only ' +
        'the clock tells them apart',
    ),
  ),
  entry(
    'src/scaffold/journal.ts',
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    'an error without a code: no stand-in for the missing code is among the codes of absence, so it is thrown ' +
      'either way',
  ),
  ...[
    [
      'OptionalChaining',
      'changes.find((change) => change.path === file)?.before',
      'changes.find(change => change.path === file).before',
    ],
    ['ConditionalExpression', 'before === undefined', 'false'],
  ].map(([mutator, original, replacement]) =>
    entry(
      'src/scaffold/commit.ts',
      mutator,
      original,
      replacement,
      "a plan's edited files are among the files it overwrites (or removes), each with its content before " +
        '(plan.ts, remove_plan.ts): find always finds it, with a before; the guard is for the type checker',
    ),
  ),
  entry(
    REGISTRY_LOCK,
    'ConditionalExpression',
    'existsSync(`${registryFile}.lock`)',
    'true',
    'removeAbandonedLock without a lock there returns at once (its rmdir of the empty lock finds none): the test ' +
      'saves that call only',
  ),
  entry(
    REGISTRY_LOCK,
    'ObjectLiteral',
    '{ staleMs: LOCK_MS }',
    '{}',
    "removeAbandonedLock's default staleMs is 10 000 ms, LOCK_MS's value",
  ),
  entry(
    REGISTRY_LOCK,
    'MethodExpression',
    '[...dirs].reverse()',
    '[...dirs]',
    "the directories made for the lock are the registry's (var/, one level under the root): there is at most one",
  ),
  entry(
    REGISTRY_LOCK,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "an rmdir's error without a code: no stand-in for the missing code is among the expected ones, so it is " +
      'thrown either way',
  ),
  entry(
    REGISTRY_LOCK,
    'OptionalChaining',
    'release?.sync',
    'release.sync',
    'the TypeError (which onProcessEnd swallows) skips only removing the var/ this run made, while it has no lock: ' +
      "var/ is made and locked in one synchronous step, so that takes another process taking the lock in this one's " +
      'new var/ between the two, this one interrupted while it waits, and var/ empty again: nothing a test can stage',
  ),
  // delivery (src/trackers/remote/, src/trackers/mlflow/{delivery,sync}.ts)
  ...[
    ['OptionalChaining', 'signal?.aborted', 'signal.aborted'],
    ['OptionalChaining', 'signal?.removeEventListener', 'signal.removeEventListener'],
    ['OptionalChaining', 'signal?.addEventListener', 'signal.addEventListener'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DRAIN,
      mutator,
      original,
      replacement,
      "drain's sleep is always given a signal (its one caller passes the delivery's `stopping`)",
    ),
  ),
  entry(DRAIN, 'ObjectLiteral', '{ once: true }', '{}', ONCE_LISTENER),
  entry(DRAIN, 'BooleanLiteral', 'true', 'false', ONCE_LISTENER, '{ once: «true» }'),
  entry(
    DRAIN,
    'StringLiteral',
    "'no answer'",
    '""',
    'unreachable: the policy counts a failure only in outcomes.failed, which sets lastError to the ' +
      "failure's error first",
  ),
  ...[
    ['EqualityOperator', 'round < MAX_DRAIN_ROUNDS', 'round <= MAX_DRAIN_ROUNDS'],
    ['AssignmentOperator', 'round += 1', 'round -= 1'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DRAIN,
      mutator,
      original,
      replacement,
      'the safety bound of 100 000 rounds: a drain reaches it only after 100 000 rounds (each a request, or a ' +
        'pause of ' +
        '10 ms or a backoff), longer than any test can run; every drain tested ends by its own conditions first',
    ),
  ),
  entry(
    DRAIN,
    'EqualityOperator',
    'remaining <= 0',
    'remaining < 0',
    'a clock boundary: the deadline reached to the millisecond',
  ),
  entry(
    DRAIN,
    'EqualityOperator',
    'backoff > 0',
    'backoff >= 0',
    'a clock boundary: a backoff over to the millisecond',
    'untilDeferred && «backoff > 0»',
  ),
  entry(
    DRAIN,
    'EqualityOperator',
    'backoff > 0',
    'backoff >= 0',
    'a clock boundary: a backoff over to the millisecond',
    'const wait = «backoff > 0» ?',
  ),
  ...[
    [
      'LogicalOperator',
      "!delivery.pending() || delivery.state() === 'stopped'",
      "!delivery.pending() && delivery.state() === 'stopped'",
    ],
    ['ConditionalExpression', "!delivery.pending() || delivery.state() === 'stopped'", 'false'],
    ['ConditionalExpression', "delivery.state() === 'stopped'", 'false'],
    ['StringLiteral', "'stopped'", '""'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DRAIN,
      mutator,
      original,
      replacement,
      "an early exit: the loop's first check ends the drain the same way at its next turn (nothing pending, or a " +
        "stopped delivery's round action is `spill`), after the pause of at most 10 ms (a stop leaves no backoff " +
        'running)',
    ),
  ),
  ...[
    ['ConditionalExpression', 'backoff > 0', 'true', 'const wait = «backoff > 0» ?'],
    ['ConditionalExpression', 'outcomes.progress === before', 'true'],
    ['ConditionalExpression', 'outcomes.progress === before', 'false'],
    ['EqualityOperator', 'outcomes.progress === before', 'outcomes.progress !== before'],
    ['ConditionalExpression', 'wait > 0', 'true'],
    ['EqualityOperator', 'wait > 0', 'wait >= 0'],
  ].map(([mutator, original, replacement, at]) =>
    entry(
      DRAIN,
      mutator,
      original,
      replacement,
      'the pause of 10 ms (or 0) between rounds when no backoff runs: only how soon the next round starts, never ' +
        'what it ' +
        'sends; a round that made no progress either failed (a backoff then runs) or left nothing pending',
      at,
    ),
  ),
  entry(
    REPORT,
    'ConditionalExpression',
    'spool.holdsRecords',
    'true',
    'a spool that holds nothing counts nothing: countPending returns zeros when nothing is pending',
  ),
  entry(
    'src/trackers/mlflow/sync.ts',
    'BlockStatement',
    '{\n    return false;\n  }',
    '{}',
    "isHttpUrl's catch: undefined instead of false, and its one caller tests `!isHttpUrl(uri)`",
  ),
  entry(
    'src/scaffold/journal.ts',
    'StringLiteral',
    "'utf8'",
    '""',
    "readJournal's encoding: without it readFileSync gives a Buffer, which JSON.parse reads as its UTF-8 text",
    "text = readFileSync(path.join(root, JOURNAL_PATH), «'utf8'»);",
  ),
  ...[
    ['mode !== null', 'true', undefined],
    ['entry.before === null', 'false', 'if (current !== undefined || «entry.before === null») continue;'],
  ].map(([original, replacement, at]) =>
    entry(
      'src/scaffold/journal.ts',
      'ConditionalExpression',
      original,
      replacement,
      'a journal records a mode for exactly the files that have a content before (targets.ts: both from the file ' +
        'on disk, read under the lock; a removal always has both): undo never restores a file without a mode, nor ' +
        'a removal of a file that was not there',
      at,
    ),
  ),
  entry(OUTCOMES, 'StringLiteral', "'internal'", '""', WARN_ONCE_KEY),
  entry(TO_SPOOL, 'StringLiteral', "'queue full'", '""', WARN_ONCE_KEY),
  entry(TO_SPOOL, 'StringLiteral', "'spool full'", '""', WARN_ONCE_KEY),
  entry(
    OUTCOMES,
    'StringLiteral',
    "'retryable'",
    '""',
    "internalError's failure kind: outcomes.failed tells only 'stopped' apart, and handles any other kind the same",
  ),
  ...[
    ['EqualityOperator', 'core.queue.size > 0', 'core.queue.size >= 0'],
    ['ConditionalExpression', 'core.queue.size > 0', 'true'],
  ].map(([mutator, original, replacement]) =>
    entry(
      TO_SPOOL,
      mutator,
      original,
      replacement,
      'a spill of an empty memory queue appends no record (appendSync of none writes nothing, and in doubt none: ' +
        'memoryDoubtLength of no records is 0) and forgets nothing',
    ),
  ),
  entry(
    TO_SPOOL,
    'ConditionalExpression',
    'inDoubt',
    'true',
    NO_DOUBT_IN_MEMORY,
    '    if («inDoubt») core.memoryDoubt',
  ),
  entry(
    TO_SPOOL,
    'ConditionalExpression',
    'inDoubt',
    'false',
    NO_DOUBT_IN_MEMORY,
    '    if («inDoubt») core.memoryDoubt',
  ),
  entry(
    TO_SPOOL,
    'ConditionalExpression',
    'core.protocol.stamp',
    'true',
    "run.json written once more, synchronously, with the run's description as it stands: what the next saveMeta " +
      'writes anyway (a backend without stamp changes nothing of it here)',
  ),
  entry(
    DELIVERY_CORE,
    'ObjectLiteral',
    '{ data: 0, artifacts: 0 }',
    '{}',
    "inFlight's counts undefined until the first send: every reader takes undefined as 0 (splice's start, `||`, `?:`)",
  ),
  entry(DELIVERY_CORE, 'ConditionalExpression', 'version === this.#savedMetaVersion', 'false', SAME_RUN_JSON),
  entry(
    DELIVERY_CORE,
    'MethodExpression',
    'Math.max(this.#savedMetaVersion, version)',
    'Math.min(this.#savedMetaVersion, version)',
    SAME_RUN_JSON,
  ),
  entry(
    DELIVERY_CORE,
    'ConditionalExpression',
    'endTime === undefined',
    'false',
    '`{ status, endTime: undefined }` is `{ status }` to every reader: JSON drops the key, and readers take a ' +
      'missing end time as undefined',
  ),
  ...[
    ['ConditionalExpression', "status !== 'RUNNING' && this.meta.session === 'open'", 'true'],
    [
      'LogicalOperator',
      "status !== 'RUNNING' && this.meta.session === 'open'",
      "status !== 'RUNNING' || this.meta.session === 'open'",
    ],
    ['ConditionalExpression', "status !== 'RUNNING'", 'true'],
    ['StringLiteral', "'RUNNING'", '""'],
    ['ConditionalExpression', "this.meta.session === 'open'", 'true'],
  ].map(([mutator, original, replacement]) => entry(DELIVERY_CORE, mutator, original, replacement, SESSION_ENDED)),
  ...[
    ['ConditionalExpression', 'records.length > 0', 'true'],
    ['EqualityOperator', 'records.length > 0', 'records.length >= 0'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DELIVERY_CORE,
      mutator,
      original,
      replacement,
      'a stamp of no records gives nothing out; run.json is then written again with the same content',
    ),
  ),
  entry(DELIVERY_CORE, 'ConditionalExpression', 'records.length >= doubt.length', 'true', DOUBT_AT_FRONT),
  ...[
    ['ConditionalExpression', "this.pending && this.#core.state !== 'stopped'", 'true'],
    ['StringLiteral', "'stopped'", '""'],
    ['ConditionalExpression', 'this.#core.queue.size > 0', 'true'],
    ['EqualityOperator', 'this.#core.queue.size > 0', 'this.#core.queue.size >= 0'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DELIVERY,
      mutator,
      original,
      replacement,
      "the timer's choice of when to kick: a round with nothing to do does nothing (nothing pending: sendNext is " +
        "idle; a stopped delivery's round only spills the memory queue, which is then empty), so kicking more often " +
        'changes no request and no file',
    ),
  ),
  ...[
    ['ConditionalExpression', "action === 'nothing'", 'false'],
    ['StringLiteral', "'nothing'", '""'],
  ].map(([mutator, original, replacement]) =>
    entry(
      DELIVERY,
      mutator,
      original,
      replacement,
      "a round's early return: in every state whose action is `nothing` (opening, stopping, closed) the action is " +
        "not `spill` either, and the request loop's own check (roundAction(state, true) === 'send') is false: the " +
        'round does nothing all the same',
    ),
  ),
  ...[
    [
      'LogicalOperator',
      "failure?.kind === 'retryable' && result.settled === 0",
      "failure?.kind === 'retryable' || result.settled === 0",
    ],
    ['ConditionalExpression', "failure?.kind === 'retryable'", 'true'],
    ['ConditionalExpression', 'result.settled === 0', 'true'],
  ].map(([mutator, original, replacement]) => entry(REQUEST_STEP, mutator, original, replacement, PARTLY_SETTLED)),
  entry(
    SESSION_SPOOL,
    'BooleanLiteral',
    'false',
    'true',
    "useSibling's answer when the sibling cannot be opened either: it has broken the spool already, so lock()'s own " +
      'break is a no-op (the spool breaks once), and openSession, going on instead of returning, reaches only what ' +
      'a broken spool does nothing for (resumeAfter needs it open; run.json is not written: writeMeta returns false)',
    '      this.break(error);\n      return «false»;\n    }\n  }\n\n  /** The spool cannot be used',
  ),
  entry(
    SESSION_SPOOL,
    'ArrayDeclaration',
    '[]',
    '["Stryker was here"]',
    'a backend that gives no resumedFields: the stand-in list names a field no run description has, so no id is ' +
      'resumed either way',
    '(core.options.resumedFields ?? «[]»)',
  ),
  ...[
    ['ConditionalExpression', 'paceMs > 0', 'true'],
    ['EqualityOperator', 'paceMs > 0', 'paceMs >= 0'],
    ['LogicalOperator', 'paceMs !== undefined && paceMs > 0', 'paceMs !== undefined || paceMs > 0'],
    ['ConditionalExpression', 'paceMs !== undefined', 'true'],
  ].map(([mutator, original, replacement]) => entry(DELIVERY_CORE, mutator, original, replacement, PACE_GUARD)),
  entry(
    SPOOL,
    'OptionalChaining',
    '(cause as NodeJS.ErrnoException | undefined)?.code',
    '(cause as NodeJS.ErrnoException | undefined).code',
    "a SpoolAppendError's cause is what #append threw: an Error of node:fs or of JSON.stringify, never undefined " +
      'or null',
  ),
  entry(
    SPOOL,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "the field's first value is never read: open() sets it (#readHeader) before anything reads it, and so do the " +
      'first append (#startQueue), a compaction and #reset; a spool that is not opened is only asked readMeta',
    "\n  #generation = «''»;",
  ),
  entry(
    SPOOL,
    'Regex',
    '/^\\{"spool":2,"generation":"([^"\\n]+)"\\}\\n/',
    '/\\{"spool":2,"generation":"([^"\\n]+)"\\}\\n/',
    'the header is only ever written as the first line of a queue (#startQueue, #compact), and no record line can ' +
      "hold it elsewhere: a string value has its quotes escaped, and the only object in a record (a row's values) " +
      "holds numbers and is closed by its record's brace before the newline",
  ),
  entry(
    SPOOL,
    'ConditionalExpression',
    'this.#size === 0',
    'false',
    'an empty queue has no header (0 header bytes): the checks that follow place the cursor at 0 all the same, and ' +
      'no doubt fits in a queue of 0 bytes (it needs start < end <= 0 <= start)',
    'if (!cursor || «this.#size === 0») return;',
  ),
  entry(SPOOL, 'ObjectLiteral', '{ durable: false }', '{}', CURSOR_NOT_DURABLE),
  entry(SPOOL, 'BooleanLiteral', 'false', 'true', CURSOR_NOT_DURABLE, '{ durable: «false» }'),
  entry(
    SPOOL,
    'BlockStatement',
    '{\n      return undefined;\n    }',
    '{}',
    "readMeta's catch: the function ends right after it, so without its `return undefined` it returns undefined " +
      'all the same',
  ),
  entry(
    SPOOL,
    'BooleanLiteral',
    'true',
    'false',
    "the estimate of a figure's line before its file is named is an upper bound (80 bytes for `/000001-<name>` and " +
      'the newline); `false` makes it one byte more, which refuses a figure only where it would fit by less than ' +
      'that slack: liveBytes still never passes maxBytes, all the spool promises',
    'file: this.#filesDir, owned: «true» }',
  ),
  ...[
    ['ConditionalExpression', 'true'],
    ['EqualityOperator', 'this.liveBytes + added + lineBytes + fileBytes >= this.maxBytes'],
  ].map(([mutator, replacement]) =>
    entry(
      SPOOL,
      mutator,
      'this.liveBytes + added + lineBytes + fileBytes > this.maxBytes',
      replacement,
      BOUND_AGAIN,
      'if («this.liveBytes + added + lineBytes + fileBytes > this.maxBytes») break;',
    ),
  ),
  ...[
    ['ConditionalExpression', 'error instanceof SyntaxError', 'true'],
    [
      'BlockStatement',
      '{\n    if (error instanceof SyntaxError) return undefined; // cut short: the queue is read from its start\n' +
        '    throw error;\n  }',
      '{}',
    ],
  ].map(([mutator, original, replacement]) =>
    entry(
      SPOOL,
      mutator,
      original,
      replacement,
      "parseCursor's catch: in its try only JSON.parse can throw (what follows reads plain parsed JSON, `null` " +
        'included), and it throws nothing but SyntaxError, so returning undefined for any error is the same',
    ),
  ),
  entry(
    SPOOL,
    'StringLiteral',
    "'0'",
    '""',
    'no cursor file read as the bare offset 0 or (the mutant) as no cursor at all: #placeCursor puts both at the ' +
      "queue's first record (after its header, which an offset of 0 of no generation does not name), with no doubt",
    ".catch(() => «'0'»)",
  ),
  entry(
    SPOOL,
    'ConditionalExpression',
    "record.t === 'artifact'",
    'true',
    'only an ArtifactRecord has a `bytes` field (records.ts): for any other record `record.bytes` is undefined and ' +
      'fileBytes 0 either way',
  ),
  entry(
    SPOOL,
    'ArithmeticOperator',
    'this.#size - this.#offset',
    'this.#size + this.#offset',
    "a read asked for more than the queue holds stops at the file's end (#readRange keeps the bytes read), and the " +
      'queue file never runs past #size: only the lock holder writes it, and a failed append is cut back to #size',
    'Math.min(maxBytes, «this.#size - this.#offset»)',
  ),
  ...[
    ['ConditionalExpression', 'true'],
    ['EqualityOperator', 'position <= chunk.length'],
  ].map(([mutator, replacement]) =>
    entry(
      SPOOL,
      mutator,
      'position < chunk.length',
      replacement,
      "readWindow's loop once past the chunk's last byte: indexOf finds no newline there, and as at least one " +
        'entry was taken to get there, the loop breaks with the same entries',
    ),
  ),
  entry(
    SPOOL,
    'BlockStatement',
    '{\n        record = undefined;\n      }',
    '{}',
    'the catch after JSON.parse in readWindow and countPending: `record` is declared afresh in each turn of the ' +
      'loop (undefined), and a parse that throws assigns nothing, so it is undefined without the assignment too',
  ),
  entry(
    SPOOL,
    'EqualityOperator',
    'this.#doubt.start < this.#offset',
    'this.#doubt.start <= this.#offset',
    'a doubt that starts where the delivered part ends: the mutant sets its start to the offset, the value it has',
  ),
  entry(
    SPOOL,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "#reset's generation is never read before it is set again: with the queue gone (size 0) the next cursor is " +
      'written only after an append, which starts a queue (#startQueue) and names a new generation first',
    "this.#generation = «''»;\n    this.#doubt = undefined;",
  ),
  entry(
    SPOOL,
    'ArithmeticOperator',
    'this.#size - 1',
    'this.#size + 1',
    "countPending's read stream ends at the file's end either way: the queue file never runs past #size (only the " +
      'lock holder writes it, and a failed append is cut back to #size)',
  ),
  entry(
    SPOOL,
    'ArithmeticOperator',
    'lines.length - 1',
    'lines.length + 1',
    "lastPending's loop starting two past the last line: lines[index] is undefined there, and JSON.parse(undefined) " +
      "throws a SyntaxError (it parses the text 'undefined'), which passes on to the line before: twice, then the " +
      'last line as before',
  ),
  ...[
    [
      'BlockStatement',
      '{\n        if (!(error instanceof SyntaxError)) throw error; ' +
        '// a line cut by a crash: the one before it\n      }',
      '{}',
    ],
    ['ConditionalExpression', '!(error instanceof SyntaxError)', 'false'],
  ].map(([mutator, original, replacement]) =>
    entry(
      SPOOL,
      mutator,
      original,
      replacement,
      "lastPending's catch: its try only runs JSON.parse on a string (a line of the split), which throws " +
        'nothing but SyntaxError (V8 parses nesting without recursion), so rethrowing the rest never happens',
    ),
  ),
  entry(
    SYNC,
    'Regex',
    '/_(UNAVAILABLE|DELIVERY_STOPPED)$/',
    '/_(UNAVAILABLE|DELIVERY_STOPPED)/',
    'no warning code holds _UNAVAILABLE or _DELIVERY_STOPPED before its end (every code is <PREFIX>_<CODE>, and ' +
      'no CODE of the delivery layer, the backends or session_end.ts has either inside it)',
  ),
  entry(
    SYNC,
    'ConditionalExpression',
    "typeof meta === 'object'",
    'true',
    "isRunMeta's test that JSON.parse gave an object: a number, a string or a boolean has no `version` either, so " +
      'the next test (`meta.version === 1`) refuses it the same way',
  ),
  entry(
    SYNC,
    'StringLiteral',
    "''",
    '"Stryker was here!"',
    "isNotASpool's stand-in for an error without a code: no code of NOT_A_SPOOL_CODES either way",
    ".code ?? «''»)",
  ),
  entry(
    SYNC,
    'StringLiteral',
    "'utf8'",
    '""',
    "readMeta's encoding: without it readFile gives a Buffer, which JSON.parse reads as its UTF-8 text",
  ),
  ...[
    [
      'BlockStatement',
      '{\n    if (error instanceof SyntaxError) return undefined; ' +
        "// a file of that name that is not a spool's\n    throw error;\n  }",
      '{}',
    ],
    ['ConditionalExpression', 'error instanceof SyntaxError', 'true'],
  ].map(([mutator, original, replacement]) =>
    entry(
      SYNC,
      mutator,
      original,
      replacement,
      "JSON.parse of a string throws only a SyntaxError (V8's parser is iterative: no RangeError for deep nesting), " +
        'and a catch that returns nothing leaves meta undefined, which isRunMeta refuses: undefined either way',
    ),
  ),
  entry(SYNC, 'OptionalChaining', 'meta?.session', 'meta.session', KILLED_WITHOUT_RUN_JSON),
  entry(
    SYNC,
    'OptionalChaining',
    'meta?.pendingStatus',
    'meta.pendingStatus',
    KILLED_WITHOUT_RUN_JSON,
    "(report.killed === true && «meta?.pendingStatus»?.status === 'KILLED')",
  ),
  entry(
    SYNC,
    'ArrayDeclaration',
    '[]',
    '["Stryker was here"]',
    "settled()'s warnings: its one caller replaces them with the delivery's (`{ ...settled(...), warnings }`)",
    'warnings: «[]»,\n  };\n}\n\n/** A URI',
  ),
  entry(SYNC, 'OptionalChaining', 'meta?.trackingUri', 'meta.trackingUri', NO_BACKEND_HAS_META),
  entry(SYNC, 'StringLiteral', "''", '"Stryker was here!"', NO_BACKEND_HAS_META, "meta?.trackingUri ?? «''»)"),
];
