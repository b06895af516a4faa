/**
 * Objects keyed by names users choose (metrics, params, tags, samples by metric): without a prototype, so that
 * `__proto__`, `constructor` or `toString` are keys like any other. On a plain object, `table['__proto__']` is
 * Object.prototype (whose fields a summary would then count points on, in every object of the process), and
 * `table['constructor']` is a function where no such metric was logged. JSON.stringify writes them as usual.
 */

/** An empty table. */
export function nameTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Sets `key` in a table as an own property, whatever it is: without a prototype, no `__proto__` setter exists to
 * catch the assignment (on a plain object it would set the prototype instead).
 */
export function setName<T>(table: Record<string, T>, key: string, value: T): void {
  table[key] = value;
}

/**
 * A table with the own entries of `record` (parsed JSON, a structured clone from a worker, Object.fromEntries):
 * such objects have Object.prototype again.
 */
export function toNameTable<T>(record: Record<string, T> | Iterable<[string, T]>): Record<string, T> {
  const table = nameTable<T>();
  const entries = Symbol.iterator in record ? (record as Iterable<[string, T]>) : Object.entries(record);
  for (const [key, value] of entries) setName(table, key, value);
  return table;
}
