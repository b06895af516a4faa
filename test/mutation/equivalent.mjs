// Surviving mutants that no test can tell from the original code (equivalent mutants), each with why: the mutation
// run (test/mutation/run.mjs) shows them apart and leaves them out of the score. A mutant is matched by its file,
// its mutator, the source text it replaced and its replacement, so it stays matched when lines move. Keep this list
// short and each reason checkable: a survivor that a test could catch is a test still owed, not an equivalent.
export const EQUIVALENT = [];
