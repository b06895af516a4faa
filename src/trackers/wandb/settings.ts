/**
 * The wandb tracker's settings, found where W&B's own clients look (remote/settings.ts does the looking): a tracker
 * parameter first, then W&B's environment variables (WANDB_API_KEY, WANDB_BASE_URL, WANDB_ENTITY, WANDB_PROJECT,
 * WANDB_MODE, WANDB_RUN_ID, WANDB_NAME, WANDB_TAGS), then W&B's settings files (`[default]` of `./wandb/settings`,
 * which `wandb init` and `wandb offline` write, then of `~/.config/wandb/settings`, or WANDB_CONFIG_DIR's: base_url,
 * entity, project, mode); for the API key, after the variable, the `~/.netrc` entry `wandb login` writes (machine =
 * the server's host). A bad value is one GymnosError naming where it came from, never quoting a key.
 */
import os from 'node:os';
import path from 'node:path';
import { GymnosError } from '../../errors.js';
import { gymnosCommand } from '../../util/package_manager.js';
import { readTextIfPresent } from '../../util/read_text.js';
import { redactCredentials, rememberSecret } from '../../util/redact.js';
import { findSetting, readSettingsFiles } from '../remote/settings.js';
import type { Setting, SettingSpec, SettingsFile } from '../remote/settings.js';
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

const SPECS = {
  apiKey: { env: ['WANDB_API_KEY'] },
  baseUrl: { env: ['WANDB_BASE_URL'], file: ['default', 'base_url'] },
  entity: { env: ['WANDB_ENTITY'], file: ['default', 'entity'] },
  project: { env: ['WANDB_PROJECT'], file: ['default', 'project'] },
  mode: { env: ['WANDB_MODE'], file: ['default', 'mode'] },
  id: { env: ['WANDB_RUN_ID'] },
  name: { env: ['WANDB_NAME'] },
  tags: { env: ['WANDB_TAGS'] },
} as const satisfies Record<string, SettingSpec>;

type SettingName = keyof typeof SPECS;

export type WandbSettingsParams = Partial<Record<Exclude<SettingName, 'tags'>, string | undefined>> & {
  tags?: readonly string[] | undefined;
};

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

/** W&B's settings files, the working directory's first (as W&B's clients rank them). */
function wandbSettingsFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): string[] {
  const configDir = env.WANDB_CONFIG_DIR?.trim() || path.join(os.homedir(), '.config', 'wandb');
  return [path.join(cwd, 'wandb', 'settings'), path.join(path.resolve(cwd, configDir), 'settings')];
}

/** The password of `machine host` in a .netrc file (the API key `wandb login` stores), or undefined. */
function netrcPassword(text: string, host: string): string | undefined {
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

function readNetrc(env: Readonly<Record<string, string | undefined>>, host: string): Setting | undefined {
  const file = env.NETRC || path.join(os.homedir(), '.netrc');
  const text = readTextIfPresent(file);
  if (text === undefined) return undefined;
  const password = netrcPassword(text, host);
  return password ? { value: password, source: env.NETRC ? 'NETRC' : '~/.netrc' } : undefined;
}

function baseUrlOf(found: Setting | undefined): string {
  if (!found) return DEFAULT_BASE_URL;
  let url: URL | undefined;
  try {
    url = new URL(found.value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw bad(
      'WANDB_BAD_BASE_URL',
      `${found.source} ${JSON.stringify(found.value)} is not the http(s) URL of a W&B server ` +
        '(e.g. https://api.wandb.ai)',
    );
  }
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The settings of a tracker (or a spool's delivery) from its params, the environment and W&B's settings files. */
export function wandbSettings(
  params: WandbSettingsParams,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): WandbSettings {
  const files: SettingsFile[] = readSettingsFiles(wandbSettingsFiles(env, cwd), 'WandbTracker');
  const find = (name: Exclude<SettingName, 'tags'>) =>
    findSetting({ ...SPECS[name], param: [name, params[name]?.trim()] }, files, env);
  const baseUrl = baseUrlOf(find('baseUrl'));
  const modeFound = find('mode');
  const mode = modeFound ? MODES[modeFound.value.toLowerCase()] : 'online';
  if (!mode) {
    throw bad(
      'WANDB_BAD_MODE',
      `${modeFound!.source} ${JSON.stringify(modeFound!.value)} is none of online, offline, disabled ` +
        "(or W&B's run, dryrun)",
    );
  }
  const runId = find('id');
  if (runId && RUN_ID_FORBIDDEN.test(runId.value)) {
    throw bad(
      'WANDB_BAD_RUN_ID',
      `${runId.source} ${JSON.stringify(runId.value)} is not a W&B run id: it may not hold : ; , # ? / or '`,
    );
  }
  const apiKey = find('apiKey') ?? readNetrc(env, new URL(baseUrl).hostname);
  rememberSecret(apiKey?.value); // masked wherever it could appear (a server's message quoting it)
  const tags = params.tags ?? (env.WANDB_TAGS ?? '').split(',');
  return {
    apiKey: apiKey?.value,
    apiKeySource: apiKey?.source,
    baseUrl,
    entity: find('entity')?.value,
    project: find('project')?.value ?? 'uncategorized',
    mode,
    runId: runId?.value,
    name: find('name')?.value,
    tags: tags.map((tag) => tag.trim()).filter(Boolean),
  };
}

/**
 * The error of an online tracker without a key: what to set, or how to log without one (the sync command in the
 * words of the package manager of the project it runs in).
 */
export function noApiKey(): GymnosError {
  const sync = gymnosCommand(process.cwd(), 'sync <logdir>');
  return new GymnosError(
    'WANDB_NO_API_KEY',
    'WandbTracker: no W&B API key: set WANDB_API_KEY (your key is at https://wandb.ai/authorize), run `wandb login`, ' +
      `pass apiKey, or log offline (WANDB_MODE=offline) and deliver later with \`${sync}\``,
  );
}
