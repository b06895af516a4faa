/**
 * The wandb tracker's settings, found where W&B's own clients look: a tracker parameter first, then W&B's
 * environment variables (WANDB_API_KEY, WANDB_BASE_URL, WANDB_ENTITY, WANDB_PROJECT, WANDB_MODE, WANDB_RUN_ID,
 * WANDB_NAME, WANDB_TAGS), then, for the API key, the `~/.netrc` entry `wandb login` writes (machine = the server's
 * host). A bad value is one GymnosError naming where it came from, never quoting a key.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GymnosError } from '../../errors.js';
import { redactCredentials } from '../../util/redact.js';
import { DEFAULT_BASE_URL } from './client.js';

export type WandbMode = 'online' | 'offline' | 'disabled';

/** WANDB_MODE's values, as W&B's clients take them (`dryrun` is offline, `run` online). */
const MODES: Record<string, WandbMode> = {
  online: 'online',
  run: 'online',
  offline: 'offline',
  dryrun: 'offline',
  disabled: 'disabled',
};

/** What a W&B run id may not hold (W&B's settings check): these characters, and space at either end. */
const RUN_ID_FORBIDDEN = /[:;,#?/']/;

export interface WandbSettingsParams {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  entity?: string | undefined;
  project?: string | undefined;
  mode?: string | undefined;
  id?: string | undefined;
  name?: string | undefined;
  tags?: readonly string[] | undefined;
}

export interface WandbSettings {
  apiKey: string | undefined;
  /** Where the key came from (`WANDB_API_KEY`, `~/.netrc`), for messages. */
  apiKeySource: string | undefined;
  baseUrl: string;
  entity: string | undefined;
  project: string;
  mode: WandbMode;
  /** The W&B run id asked for (WANDB_RUN_ID): continues that run when it exists. */
  runId: string | undefined;
  /** The run's name in W&B's pages (default: the gymnos run id). */
  name: string | undefined;
  tags: string[];
}

function bad(code: string, message: string): GymnosError {
  return new GymnosError(code, redactCredentials(`WandbTracker: ${message}`));
}

function firstSet(...values: (string | undefined)[]): [string, number] | undefined {
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index]?.trim();
    if (value) return [value, index];
  }
  return undefined;
}

/** The password of `machine host` in a .netrc file (the API key `wandb login` stores), or undefined. */
export function netrcPassword(text: string, host: string): string | undefined {
  const tokens = text.split(/\s+/).filter(Boolean);
  let machine: string | undefined;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    if (token === 'machine') machine = tokens[++index];
    else if (token === 'default') machine = '';
    else if (token === 'password' && (machine === host || machine === '')) return tokens[index + 1];
  }
  return undefined;
}

function readNetrc(env: Readonly<Record<string, string | undefined>>, host: string): [string, string] | undefined {
  const file = env.NETRC || path.join(os.homedir(), '.netrc');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return undefined;
    throw error;
  }
  const password = netrcPassword(text, host);
  return password ? [password, env.NETRC ? 'NETRC' : '~/.netrc'] : undefined;
}

function baseUrlOf(params: WandbSettingsParams, env: Readonly<Record<string, string | undefined>>): string {
  const found = firstSet(params.baseUrl, env.WANDB_BASE_URL);
  if (!found) return DEFAULT_BASE_URL;
  const [value, index] = found;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const source = index === 0 ? 'baseUrl' : 'WANDB_BASE_URL';
    throw bad(
      'WANDB_BAD_BASE_URL',
      `${source} ${JSON.stringify(value)} is not the http(s) URL of a W&B server (e.g. https://api.wandb.ai)`,
    );
  }
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The settings of a tracker (or a spool's delivery) from its params and the environment. */
export function wandbSettings(
  params: WandbSettingsParams,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WandbSettings {
  const baseUrl = baseUrlOf(params, env);
  const modeFound = firstSet(params.mode, env.WANDB_MODE);
  const mode = modeFound ? MODES[modeFound[0].toLowerCase()] : 'online';
  if (!mode) {
    const source = modeFound![1] === 0 ? 'mode' : 'WANDB_MODE';
    throw bad(
      'WANDB_BAD_MODE',
      `${source} ${JSON.stringify(modeFound![0])} is none of online, offline, disabled (or W&B's run, dryrun)`,
    );
  }
  const runIdFound = firstSet(params.id, env.WANDB_RUN_ID);
  if (runIdFound && RUN_ID_FORBIDDEN.test(runIdFound[0])) {
    const source = runIdFound[1] === 0 ? 'id' : 'WANDB_RUN_ID';
    throw bad(
      'WANDB_BAD_RUN_ID',
      `${source} ${JSON.stringify(runIdFound[0])} is not a W&B run id: it may not hold : ; , # ? / or '`,
    );
  }
  const keyFound = firstSet(params.apiKey, env.WANDB_API_KEY);
  const fromNetrc = keyFound ? undefined : readNetrc(env, new URL(baseUrl).hostname);
  const apiKey = keyFound?.[0] ?? fromNetrc?.[0];
  const apiKeySource = keyFound ? (keyFound[1] === 0 ? 'apiKey' : 'WANDB_API_KEY') : fromNetrc?.[1];
  const tags = params.tags ?? (env.WANDB_TAGS ?? '').split(',');
  return {
    apiKey,
    apiKeySource,
    baseUrl,
    entity: firstSet(params.entity, env.WANDB_ENTITY)?.[0],
    project: firstSet(params.project, env.WANDB_PROJECT)?.[0] ?? 'uncategorized',
    mode,
    runId: runIdFound?.[0],
    name: firstSet(params.name, env.WANDB_NAME)?.[0],
    tags: tags.map((tag) => tag.trim()).filter(Boolean),
  };
}

/** The error of an online tracker without a key: what to set, or how to log without one. */
export function noApiKey(): GymnosError {
  return new GymnosError(
    'WANDB_NO_API_KEY',
    'WandbTracker: no W&B API key: set WANDB_API_KEY (your key is at https://wandb.ai/authorize), run `wandb login`, ' +
      'pass apiKey, or log offline (WANDB_MODE=offline) and deliver later with `npx gymnos sync <logdir>`',
  );
}
