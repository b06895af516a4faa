/** Did-you-mean: the registry's names, the runs' metric and param names. */
import { closest, distance } from 'fastest-levenshtein';

/** The closest of `names` to `name`, if it is close enough to be what the user meant. */
export function closestName(name: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const best = closest(name, names as string[]);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
