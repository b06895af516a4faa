/**
 * The arithmetic behind the charts, apart from the DOM so that it is tested in Node: TensorBoard's smoothing, and
 * a group of runs' series as one line (their mean at each x of a common grid) with the band around it (their
 * min and max, or the mean ± one standard deviation) and how many runs each x has.
 */

/** TensorBoard's smoothing: an exponential moving average, debiased so the first points are not pulled to zero. */
export function smooth(values: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i]!;
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      out[i] = value;
      continue;
    }
    last = last * weight + (1 - weight) * value;
    count++;
    out[i] = last / (1 - Math.pow(weight, count));
  }
  return out;
}

/** One member of a group: its points in x order. */
export interface MemberSeries {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface GroupLine {
  xs: number[];
  /** Per x: null where no member has a value. */
  mean: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  std: (number | null)[];
  /** Members with a value at each x. */
  count: number[];
}

/** Each member's value at `x`: linear between its points, none outside its first and last. */
function valueAt(member: MemberSeries, x: number, from: number): { value: number | undefined; at: number } {
  const { xs, ys } = member;
  let i = from;
  while (i < xs.length && xs[i]! < x) i++;
  if (i < xs.length && xs[i] === x) return { value: ys[i], at: i };
  if (i === 0 || i === xs.length) return { value: undefined, at: i };
  const [x0, x1, y0, y1] = [xs[i - 1]!, xs[i]!, ys[i - 1]!, ys[i]!];
  return { value: y0 + ((y1 - y0) * (x - x0)) / (x1 - x0), at: i };
}

/** A grid of at most `points` xs spanning the members: their own xs when they are fewer, else evenly spaced. */
export function gridFor(members: readonly MemberSeries[], points: number): number[] {
  const all = new Set<number>();
  let low = Infinity;
  let high = -Infinity;
  for (const member of members) {
    for (let i = 0; i < member.xs.length; i++) {
      all.add(member.xs[i]!);
      low = Math.min(low, member.xs[i]!);
      high = Math.max(high, member.xs[i]!);
    }
  }
  if (all.size <= points) return [...all].sort((a, b) => a - b);
  return Array.from({ length: points }, (_, i) => low + ((high - low) * i) / (points - 1));
}

/**
 * The members on the grid `xs`: at each x, the mean, min, max and population standard deviation of the members
 * whose x range covers it (linear between a member's points).
 */
export function aggregate(members: readonly MemberSeries[], xs: readonly number[]): GroupLine {
  const line: GroupLine = { xs: [...xs], mean: [], min: [], max: [], std: [], count: [] };
  const cursors = members.map(() => 0);
  for (const x of xs) {
    let sum = 0;
    let squares = 0;
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    members.forEach((member, m) => {
      const { value, at } = valueAt(member, x, cursors[m]!);
      cursors[m] = Math.max(0, at - 1);
      if (value === undefined || !Number.isFinite(value)) return;
      sum += value;
      squares += value * value;
      count++;
      min = Math.min(min, value);
      max = Math.max(max, value);
    });
    const mean = count > 0 ? sum / count : null;
    line.mean.push(mean);
    line.min.push(count > 0 ? min : null);
    line.max.push(count > 0 ? max : null);
    line.std.push(mean === null ? null : Math.sqrt(Math.max(0, squares / count - mean * mean)));
    line.count.push(count);
  }
  return line;
}

/** The index of the x in sorted `xs` nearest to `x` (-1 for none). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  if (xs.length === 0) return -1;
  let low = 0;
  let high = xs.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (xs[middle]! < x) low = middle + 1;
    else high = middle;
  }
  return low > 0 && Math.abs(xs[low - 1]! - x) <= Math.abs(xs[low]! - x) ? low - 1 : low;
}
