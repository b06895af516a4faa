// Surviving mutants that no test can tell from the original code (equivalent mutants), each with why: the mutation
// run (test/mutation/run.mjs) shows them apart and leaves them out of the score. A mutant is matched by its file,
// its mutator, the source text it replaced and its replacement, so it stays matched when lines move. Keep this list
// short and each reason checkable: a survivor that a test could catch is a test still owed, not an equivalent.

const NUMBER_FORMAT = 'src/runs/number_format.ts';
/** formatNumber's and formatFloat32's early return for NaN and ±Infinity: the general path spells them the same. */
const NON_FINITE_SHORTCUT =
  'an early return for NaN and ±Infinity only: without it the general path gives the same text (toPrecision and ' +
  "toExponential spell them 'NaN', 'Infinity', '-Infinity', and inNotation keeps them)";

const entry = (file, mutator, original, replacement, reason) => ({ file, mutator, original, replacement, reason });

const NUMBER_TEXT = 'src/runtime/number_text.ts';
/** finiteNumberText's shortcut for short texts and magnitudes of 1 or more: counting digits gives the same answer. */
const SHORT_TEXT_SHORTCUT =
  'a shortcut: a text of at most 8 characters (0. and six digits) cannot hold more than six significant digits, ' +
  'and 1 and -1 are that short, so counting the digits decides the same';

export const EQUIVALENT = [
  entry(
    NUMBER_TEXT,
    'ConditionalExpression',
    "char === 'e'",
    'false',
    "a fraction whose String has an exponent is below 1e-6, where String already gives toExponential's text: " +
      'counting the exponent too changes which of two identical texts is returned',
  ),
  entry(NUMBER_TEXT, 'StringLiteral', "'e'", '""', "as for char === 'e' -> false: the same text either way"),
  entry(
    NUMBER_TEXT,
    'ConditionalExpression',
    "char > '9'",
    'false',
    "the only character above '9' in a number's text is the exponent's e, where the loop has stopped",
  ),
  ...[
    ['ConditionalExpression', 'text.length <= SHORT_DIGITS + 2', 'false'],
    ['EqualityOperator', 'text.length <= SHORT_DIGITS + 2', 'text.length < SHORT_DIGITS + 2'],
    ['ArithmeticOperator', 'SHORT_DIGITS + 2', 'SHORT_DIGITS - 2'],
    ['EqualityOperator', 'value >= 1', 'value > 1'],
    ['EqualityOperator', 'value <= -1', 'value < -1'],
  ].map(([mutator, original, replacement]) => entry(NUMBER_TEXT, mutator, original, replacement, SHORT_TEXT_SHORTCUT)),
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
    'src/util/atomic_write.ts',
    'MethodExpression',
    'Math.random().toString(36).slice(2, 10)',
    'Math.random().toString(36)',
    "the random part of a temporary file's name: with its '0.' and all its digits it is as unique, the name as " +
      'recognizable (hidden, the pid, the .gymnos-tmp suffix), and nothing parses it',
  ),
];
