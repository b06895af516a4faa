/**
 * The W&B endpoints the `wandb` tracker needs, as W&B's own clients call them (their Go core, their Python SDK: no
 * public documentation describes them): GraphQL at `{base}/graphql` (`Viewer`, `RunResumeStatus`, `UpsertBucket`,
 * `CreateRunFiles`), the run's `file_stream` at `{base}/files/{entity}/{project}/{run}/file_stream`, and a PUT of a
 * file's bytes to the signed URL `CreateRunFiles` gives. Each call is one attempt under a timeout (http.ts), with the
 * API key as HTTP Basic `api:<key>` on W&B's own endpoints and never on the signed URL (a storage service refuses a
 * signed request that also carries credentials). No GraphQL library: each operation is one document string.
 */
import { GymnosError } from '../../errors.js';
import { requestJson } from '../remote/http.js';
import { paceFromHeaders } from '../remote/retry_after.js';
import { parseHistoryJson } from './history.js';

const VIEWER = 'query Viewer { viewer { id entity } }';

const RUN_RESUME_STATUS = `query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) {
    id
    name
    entity { id name }
    bucket(name: $name, missingOk: true) { id name displayName historyLineCount summaryMetrics config tags }
  }
}`;

const UPSERT_BUCKET = `mutation UpsertBucket(
  $id: String
  $name: String
  $project: String
  $entity: String
  $displayName: String
  $config: JSONString
  $tags: [String!]
  $host: String
  $program: String
) {
  upsertBucket(input: {
    id: $id
    name: $name
    modelName: $project
    entityName: $entity
    displayName: $displayName
    config: $config
    tags: $tags
    host: $host
    jobProgram: $program
  }) {
    bucket { id name displayName historyLineCount project { id name entity { id name } } }
    inserted
  }
}`;

const CREATE_RUN_FILES = `mutation CreateRunFiles(
  $entity: String!
  $project: String!
  $run: String!
  $files: [String!]!
) {
  createRunFiles(input: { entityName: $entity, projectName: $project, runName: $run, files: $files }) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

/** The default server: W&B's cloud. */
export const DEFAULT_BASE_URL = 'https://api.wandb.ai';

export interface CallOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

/** An answer that counts, and the pause the server asked for with it (its RateLimit-* headers). */
export interface Answered<T> {
  value: T;
  paceMs: number | undefined;
}

/** A run of the server, as RunResumeStatus finds it. */
export interface FoundBucket {
  id: string;
  historyLineCount: number;
  summary: Record<string, unknown>;
  /** The config's values (W&B's `{key: {value}}` unwrapped). */
  config: Record<string, unknown>;
  tags: string[];
}

/** What a failed GraphQL operation answered with HTTP 200 (W&B's `errors`): refused, not to be retried. */
export const WANDB_GRAPHQL_ERROR = 'WANDB_GRAPHQL_ERROR';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSONString field's object (W&B sends config and summary as JSON text, NaN bare), or {} when it holds none. */
function parseJsonString(value: unknown): Record<string, unknown> {
  if (isObject(value)) return value;
  if (typeof value !== 'string' || value === '') return {};
  const parsed = parseHistoryJson(value);
  return isObject(parsed) ? parsed : {};
}

/** The values of a W&B config (`{key: {value, desc}}`), without the SDK's own `_wandb` key. */
function configValues(config: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(config)) {
    if (key.startsWith('_')) continue;
    Object.defineProperty(values, key, {
      value: isObject(entry) && 'value' in entry ? entry.value : entry,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return values;
}

export class WandbClient {
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly #authorization: string | undefined;

  constructor(baseUrl: string, apiKey: string | undefined) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#authorization = apiKey ? `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}` : undefined;
  }

  get #headers(): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      'User-Agent': 'gymnos-wandb',
      ...(this.#authorization ? { Authorization: this.#authorization } : {}),
    };
  }

  /** One GraphQL operation; resolves with its `data`, throws a GymnosError (http.ts, or WANDB_GRAPHQL_ERROR). */
  async graphql(
    operation: string,
    query: string,
    variables: Record<string, unknown>,
    call: CallOptions,
  ): Promise<Answered<Record<string, unknown>>> {
    let paceMs: number | undefined;
    const answer = await requestJson({
      backend: 'W&B',
      endpoint: `graphql ${operation}`,
      url: `${this.baseUrl}/graphql`,
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify({ operationName: operation, query, variables }),
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      check: (body) => isObject(body.data) || Array.isArray(body.errors),
      errorMessage: graphqlMessage,
      onAnswer: (headers) => (paceMs = paceFromHeaders(headers)),
    });
    if (!isObject(answer.data) || Array.isArray(answer.errors)) {
      throw new GymnosError(WANDB_GRAPHQL_ERROR, `graphql ${operation}: ${graphqlMessage(answer) ?? 'no data'}`, {
        kind: 'failure',
      });
    }
    return { value: answer.data, paceMs };
  }

  /** The user's default entity (`viewer.entity`). */
  async viewerEntity(call: CallOptions): Promise<string | undefined> {
    const { value } = await this.graphql('Viewer', VIEWER, {}, call);
    const viewer = value.viewer;
    return isObject(viewer) && typeof viewer.entity === 'string' && viewer.entity ? viewer.entity : undefined;
  }

  /** The run `name` of entity/project, or undefined when the server has none. */
  async findRun(entity: string, project: string, name: string, call: CallOptions): Promise<FoundBucket | undefined> {
    const { value } = await this.graphql('RunResumeStatus', RUN_RESUME_STATUS, { project, entity, name }, call);
    const model = value.model;
    const bucket = isObject(model) ? model.bucket : undefined;
    if (!isObject(bucket) || typeof bucket.id !== 'string') return undefined;
    return {
      id: bucket.id,
      historyLineCount: Number.isSafeInteger(bucket.historyLineCount) ? (bucket.historyLineCount as number) : 0,
      summary: parseJsonString(bucket.summaryMetrics),
      config: configValues(parseJsonString(bucket.config)),
      tags: Array.isArray(bucket.tags) ? bucket.tags.filter((tag): tag is string => typeof tag === 'string') : [],
    };
  }

  /** Creates or updates the run; resolves with its server id. */
  async upsertRun(
    run: {
      id: string | undefined;
      name: string;
      project: string;
      entity: string;
      displayName: string;
      config: Record<string, unknown>;
      tags: readonly string[];
      host?: string | undefined;
      program?: string | undefined;
    },
    call: CallOptions,
  ): Promise<Answered<string>> {
    const config: Record<string, { value: unknown }> = {};
    for (const [key, value] of Object.entries(run.config)) {
      Object.defineProperty(config, key, { value: { value }, enumerable: true, writable: true, configurable: true });
    }
    const variables = {
      ...(run.id ? { id: run.id } : {}),
      name: run.name,
      project: run.project,
      entity: run.entity,
      displayName: run.displayName,
      config: JSON.stringify(config),
      tags: [...run.tags],
      ...(run.host ? { host: run.host } : {}),
      ...(run.program ? { program: run.program } : {}),
    };
    const { value, paceMs } = await this.graphql('UpsertBucket', UPSERT_BUCKET, variables, call);
    const upserted = value.upsertBucket;
    const bucket = isObject(upserted) ? upserted.bucket : undefined;
    if (!isObject(bucket) || typeof bucket.id !== 'string') {
      throw new GymnosError(WANDB_GRAPHQL_ERROR, 'graphql UpsertBucket: the answer holds no bucket id', {
        kind: 'failure',
      });
    }
    return { value: bucket.id, paceMs };
  }

  /** Where to PUT a run file's bytes: a signed URL and the headers it needs. */
  async createRunFile(
    run: { entity: string; project: string; name: string },
    file: string,
    call: CallOptions,
  ): Promise<{ uploadUrl: string; headers: Record<string, string> }> {
    const variables = { entity: run.entity, project: run.project, run: run.name, files: [file] };
    const { value } = await this.graphql('CreateRunFiles', CREATE_RUN_FILES, variables, call);
    const created = value.createRunFiles;
    const files = isObject(created) && Array.isArray(created.files) ? created.files : [];
    const entry = files.find((item): item is Record<string, unknown> => isObject(item) && item.name === file);
    if (!entry || typeof entry.uploadUrl !== 'string' || !entry.uploadUrl) {
      throw new GymnosError(WANDB_GRAPHQL_ERROR, `graphql CreateRunFiles: no upload URL for ${file}`, {
        kind: 'failure',
      });
    }
    const headers: Record<string, string> = {};
    const listed = isObject(created) && Array.isArray(created.uploadHeaders) ? created.uploadHeaders : [];
    for (const header of listed) {
      if (typeof header !== 'string') continue;
      const colon = header.indexOf(':');
      if (colon > 0) headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    return { uploadUrl: entry.uploadUrl, headers };
  }

  /** PUTs `body` to a signed URL, with its headers and without the API key. */
  async upload(uploadUrl: string, headers: Record<string, string>, body: Uint8Array | Blob, call: CallOptions) {
    await requestJson({
      backend: 'W&B storage',
      endpoint: 'file upload',
      url: uploadUrl,
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
      body,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      emptyIsAnswer: true,
      // A storage service answers anything but a web page: its status is what counts.
      check: () => true,
    });
  }

  /** One file_stream request of run entity/project/name; resolves with its answer and the pause asked for. */
  async fileStream(
    run: { entity: string; project: string; name: string },
    body: string,
    call: CallOptions,
  ): Promise<Answered<Record<string, unknown>>> {
    let paceMs: number | undefined;
    const path = [run.entity, run.project, run.name].map(encodeURIComponent).join('/');
    const value = await requestJson({
      backend: 'W&B',
      endpoint: 'file_stream',
      url: `${this.baseUrl}/files/${path}/file_stream`,
      method: 'POST',
      headers: this.#headers,
      body,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      onAnswer: (headers) => (paceMs = paceFromHeaders(headers)),
    });
    return { value, paceMs };
  }
}

/** W&B's message in an error answer: GraphQL's `errors[0].message`, or a plain `error`. */
function graphqlMessage(answer: Record<string, unknown>): string | undefined {
  const errors = answer.errors;
  if (Array.isArray(errors) && isObject(errors[0]) && typeof errors[0].message === 'string') return errors[0].message;
  return typeof answer.error === 'string' ? answer.error : undefined;
}
