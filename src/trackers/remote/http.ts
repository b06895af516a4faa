/**
 * One HTTP request of a remote backend's client, on Node's global `fetch`, bounded by a timeout and answered by a
 * JSON object or a classified failure, whatever the backend (MLflow, Comet, W&B):
 *
 * - an answer counts only when it is the JSON the backend documents for that endpoint (`check`): a 200 that is a web
 *   page (an auth proxy's login page), an empty body or JSON cut short is a retryable failure, never a delivery;
 * - a failure says whether a retry can help (no answer, a timeout, 408, 429, 5xx: yes; other 4xx: no), how long the
 *   server asked to wait (retry_after.ts), and whether the answer was lost after the request may have been carried
 *   out (`answerLost`: a timeout, a reset connection, 500/502/504, an answer that is not the backend's), so that the
 *   caller asks before sending again.
 *
 * Failures are GymnosErrors (REMOTE_HTTP_ERROR, REMOTE_NETWORK_ERROR) whose `details` are a `HttpFailure`; their
 * messages name the endpoint, never the URL's credentials nor a header (redact.ts masks a remembered API key).
 */
import { GymnosError, isGymnosError } from '../../errors.js';
import { redactCredentials } from '../../util/redact.js';
import { retryDelayFromHeaders } from './retry_after.js';

const REMOTE_HTTP_ERROR = 'REMOTE_HTTP_ERROR';
const REMOTE_NETWORK_ERROR = 'REMOTE_NETWORK_ERROR';

/** What a failed request carries in its GymnosError's `details`. */
export interface HttpFailure {
  /** The endpoint as messages name it (`write/experiment/create`). */
  endpoint: string;
  /** The HTTP status; undefined when no answer came. */
  status: number | undefined;
  /** True when a retry can help: no answer, 408, 429 or 5xx, or an answer that is not the backend's. */
  retryable: boolean;
  /** How long the server asked to wait (Retry-After and rate-limit headers), in milliseconds. */
  retryAfterMs: number | undefined;
  /** The request may have been carried out, but no usable answer came back: sending it again could do it twice. */
  answerLost: boolean;
  timedOut: boolean;
  /** The answer was a web page, not the backend's JSON (a proxy answered). */
  notTheApi: boolean;
  /** The error answer's JSON, when it had one (the backend's own error fields). */
  body: unknown;
}

export interface HttpRequest {
  /** The backend's name in messages ("not Comet's JSON"). */
  backend: string;
  endpoint: string;
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  body?: string | Uint8Array | Blob | FormData;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** True when the JSON object answered is the documented answer of the endpoint. Default: any object. */
  check?: (answer: Record<string, unknown>) => boolean;
  /** The backend's error message in an error answer's JSON (Comet's `msg`). */
  errorMessage?: (answer: Record<string, unknown>) => string | undefined;
  /** A 2xx with an empty body is the documented answer (endpoints whose clients only read the status). */
  emptyIsAnswer?: boolean;
  /** Given the headers of an answer that counts (a server's rate-limit headers on a success: retry_after.ts). */
  onAnswer?: (headers: Headers) => void;
}

/** Statuses after which the server may still have carried the request out. */
const ANSWER_LOST_STATUSES = new Set([500, 502, 504]);

/** Errors of a request that never reached the server: sending it again cannot do anything twice. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

function failureError(code: string, message: string, failure: HttpFailure, cause?: unknown): GymnosError {
  return new GymnosError(code, redactCredentials(message), {
    kind: 'failure',
    details: { ...failure },
    ...(cause === undefined ? {} : { cause }),
  });
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function describeNetworkError(cause: unknown): string {
  const error = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === 'AbortError') return 'aborted';
  const inner = error?.cause;
  return inner?.message || inner?.code || error?.message || String(cause);
}

/** The start of an answer, quoted, for a message. */
function quoteStart(text: string): string {
  return JSON.stringify(text.slice(0, 60));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Sends one request; resolves with the answer's JSON object, throws a GymnosError with a `HttpFailure` otherwise. */
export async function requestJson(request: HttpRequest): Promise<Record<string, unknown>> {
  const { backend, endpoint } = request;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
    });
    text = await response.text();
  } catch (error) {
    const timedOut = (error as { name?: string })?.name === 'TimeoutError';
    const code = (error as { cause?: { code?: string } })?.cause?.code;
    const what = timedOut ? `timed out after ${formatDuration(request.timeoutMs)}` : describeNetworkError(error);
    const failure: HttpFailure = {
      endpoint,
      status: undefined,
      retryable: true,
      retryAfterMs: undefined,
      answerLost: code === undefined || !NOT_SENT.has(code),
      timedOut,
      notTheApi: false,
      body: undefined,
    };
    throw failureError(REMOTE_NETWORK_ERROR, `${endpoint}: ${what}`, failure, error);
  }
  const status = response.status;
  const json = parseJson(text);
  const contentType = response.headers.get('content-type') ?? '';
  const page = /html/i.test(contentType) || /^\s*</.test(text);
  if (!response.ok) {
    const own = isObject(json) ? request.errorMessage?.(json) : undefined;
    const detail =
      own ??
      (page
        ? `a web page, not ${backend}: something in front of the server (an auth proxy?) answered`
        : text.slice(0, 200).trim());
    throw failureError(REMOTE_HTTP_ERROR, `${endpoint}: HTTP ${status}${detail ? `: ${detail}` : ''}`, {
      endpoint,
      status,
      retryable: status === 408 || status === 429 || status >= 500,
      retryAfterMs: retryDelayFromHeaders(response.headers),
      answerLost: ANSWER_LOST_STATUSES.has(status),
      timedOut: false,
      notTheApi: page,
      body: json,
    });
  }
  if (request.emptyIsAnswer && text.trim() === '') {
    request.onAnswer?.(response.headers);
    return {};
  }
  if (!isObject(json) || !(request.check ?? (() => true))(json)) {
    const what = page
      ? `HTTP ${status} with a web page (${contentType || 'no content type'}), not ${backend}'s JSON: something ` +
        'in front of the server (an auth proxy, a login or SSO page) answered'
      : text.trim() === ''
        ? `HTTP ${status} with an empty body, not ${backend}'s JSON`
        : `HTTP ${status} with an answer that is not the JSON ${backend} documents (${quoteStart(text)})`;
    throw failureError(REMOTE_HTTP_ERROR, `${endpoint}: ${what}`, {
      endpoint,
      status,
      retryable: true,
      retryAfterMs: undefined,
      answerLost: true,
      timedOut: false,
      notTheApi: page,
      body: json,
    });
  }
  request.onAnswer?.(response.headers);
  return json;
}

/** The facts of a failed request, or undefined when `error` is anything else (a bug, for one). */
export function httpFailure(error: unknown): HttpFailure | undefined {
  if (!isGymnosError(error) || (error.code !== REMOTE_HTTP_ERROR && error.code !== REMOTE_NETWORK_ERROR)) {
    return undefined;
  }
  return error.details as unknown as HttpFailure;
}
