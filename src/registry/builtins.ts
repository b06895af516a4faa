/**
 * The trackers gymnos ships. Their names are never free for `create-new` (not even with --force), and a
 * project tracker may not shadow them. Each must stay registered in var/trackers.json (a test checks).
 */
export const BUILTIN_TRACKERS: ReadonlySet<string> = new Set(['memory', 'jsonl', 'csv', 'tensorboard', 'mlflow']);
