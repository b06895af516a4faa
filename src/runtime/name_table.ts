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
 * A table with the own entries of `record` (parsed JSON, a structured clone from a worker, Object.fromEntries):
 * such objects have Object.prototype again.
 */
export function toNameTable<T>(record: Record<string, T> | Iterable<[string, T]>): Record<string, T> {
  const table = nameTable<T>();
  const entries = Symbol.iterator in record ? (record as Iterable<[string, T]>) : Object.entries(record);
  // Without a prototype, no `__proto__` setter catches the assignment (on a plain object it sets the prototype).
  for (const [key, value] of entries) table[key] = value;
  return table;
}

/**
 * `table[name] = value` as an own property whatever the name, on any object: on a plain one (a table read back
 * from JSON), assigning to `__proto__` would set its prototype instead.
 */
export function defineName<T>(table: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(table, name, { value, enumerable: true, writable: true, configurable: true });
}
