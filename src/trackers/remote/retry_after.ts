/**
 * How long a server asks a client to wait, from the headers of a refusal (a 429 or a 503): `Retry-After` (seconds
 * or an HTTP date, RFC 9110), the IETF draft's `RateLimit-Reset` (seconds) when no quota is left
 * (`RateLimit-Remaining: 0`), and the common `X-RateLimit-Reset` (seconds, or a Unix time in seconds as GitHub and
 * W&B's gateway send it). The longest wins; undefined when none says. `paceFromHeaders` reads the same draft
 * headers on an answer the server took.
 */

/** A reset larger than this is a Unix time, not a number of seconds (about 30 years of seconds). */
const UNIX_TIME_FROM = 1e9;

function seconds(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const number = Number(value.trim());
  if (Number.isFinite(number)) return Math.max(0, number >= UNIX_TIME_FROM ? number * 1000 - now : number * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function retryDelayFromHeaders(headers: Pick<Headers, 'get'>, now = Date.now()): number | undefined {
  const delays = [seconds(headers.get('retry-after'), now), seconds(headers.get('x-ratelimit-reset'), now)];
  if (headers.get('ratelimit-remaining')?.trim() === '0') delays.push(seconds(headers.get('ratelimit-reset'), now));
  const known = delays.filter((delay): delay is number => delay !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/** A header's number, when it is a finite one at or above 0. */
function nonNegative(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const number = Number(value.trim());
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

/**
 * How long to wait before the next request after an answer the server took (a 2xx), from the IETF draft's
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds), which W&B sends on its answers: with nothing left, until
 * the reset; otherwise the rest of the window spread over what remains (reset / remaining), so that a steady client
 * never meets the 429 at the window's end (W&B's own client adapts its rate the same way). Undefined without both
 * headers.
 */
export function paceFromHeaders(headers: Pick<Headers, 'get'>): number | undefined {
  const remaining = nonNegative(headers.get('ratelimit-remaining'));
  const reset = nonNegative(headers.get('ratelimit-reset'));
  if (remaining === undefined || reset === undefined) return undefined;
  return remaining < 1 ? reset * 1000 : (reset * 1000) / remaining;
}
