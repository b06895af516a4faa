/**
 * Where the comet tracker finds its API key, workspace, project and server, as Comet's own clients read them: a
 * tracker parameter, then the environment (COMET_API_KEY, COMET_WORKSPACE, COMET_PROJECT_NAME,
 * COMET_URL_OVERRIDE), then `.comet.config` (INI, section `[comet]`: api_key, workspace, project_name,
 * url_override) in the working directory, then the file COMET_CONFIG names (or `~/.comet.config`). Offline mode:
 * the `offline` parameter or COMET_START_ONLINE=0 (comet_ml's `start()` switch).
 *
 * The API key is never stored nor shown: it is remembered by the redaction (util/redact.ts) as soon as it is read.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GymnosError } from '../../errors.js';
import { redactCredentials, rememberSecret } from '../../util/redact.js';
import type { RemoteRequestParams } from '../remote/session_params.js';
import { findSetting, readSettingsFiles, settingHint } from '../remote/settings.js';
import type { Setting, SettingSpec, SettingsFile } from '../remote/settings.js';

/** Comet's cloud, as COMET_URL_OVERRIDE's default names it. */
const COMET_DEFAULT_URL = 'https://www.comet.com/clientlib/';

/** How to reach Comet (shared by the tracker and `CometTracker.deliverSpool`). */
export interface CometConnectionParams extends RemoteRequestParams {
  /** Comet API key, sent as `Authorization: <key>`. Default: COMET_API_KEY, then `.comet.config`'s api_key. */
  apiKey?: string;
  /**
   * Comet's address, as COMET_URL_OVERRIDE takes it (`https://comet.example.com/clientlib/`); the REST API is under
   * its root. Default: COMET_URL_OVERRIDE, then `.comet.config`'s url_override, then Comet's cloud.
   */
  url?: string;
}

export const COMET_SPECS = {
  apiKey: { env: ['COMET_API_KEY'], file: ['comet', 'api_key'] },
  workspace: { env: ['COMET_WORKSPACE'], file: ['comet', 'workspace'] },
  projectName: { env: ['COMET_PROJECT_NAME'], file: ['comet', 'project_name'] },
  url: { env: ['COMET_URL_OVERRIDE'], file: ['comet', 'url_override'] },
} as const satisfies Record<string, SettingSpec>;

/** Where Comet's REST API and its client library endpoints are, from COMET_URL_OVERRIDE's form. */
export interface CometServer {
  /** The server's root, without credentials (`https://www.comet.com`): what reports and run.json show. */
  root: string;
  /** `<root>/api/rest/v2/` */
  restUrl: string;
  /** `<root>/clientlib/` */
  clientlibUrl: string;
}

/** The `.comet.config` files, in order: the working directory's, then COMET_CONFIG's (or the home directory's). */
function cometConfigFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): string[] {
  const named = env.COMET_CONFIG?.trim();
  let second = path.join(os.homedir(), '.comet.config');
  if (named) {
    const resolved = path.resolve(cwd, named.replace(/^~(?=$|\/)/, os.homedir()));
    let directory = false;
    try {
      directory = statSync(resolved).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    }
    second = directory ? path.join(resolved, '.comet.config') : resolved;
  }
  return [path.join(cwd, '.comet.config'), second];
}

/** The server a COMET_URL_OVERRIDE-style URL names; a GymnosError naming its source when it is not one. */
export function cometServer(url: Setting | undefined): CometServer {
  const text = url?.value ?? COMET_DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    parsed = new URL('invalid:'); // reported below
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GymnosError(
      'COMET_BAD_URL',
      redactCredentials(
        `CometTracker: ${url?.source ?? 'url'} ${JSON.stringify(text)} is not the http(s) address of a Comet ` +
          `server (e.g. ${COMET_DEFAULT_URL})`,
      ),
      { details: { source: url?.source } },
    );
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const root = parsed
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/clientlib$/, '');
  return { root, restUrl: `${root}/api/rest/v2/`, clientlibUrl: `${root}/clientlib/` };
}

/** What the comet tracker found of its settings (the API key only as "found", never shown). */
export interface CometSettings {
  apiKey: Setting | undefined;
  workspace: Setting | undefined;
  projectName: Setting | undefined;
  server: CometServer;
  /** Where the server's address was set (undefined: Comet's cloud, by default). */
  serverSource: string | undefined;
  /** COMET_START_ONLINE=0 (or false/no/off). */
  offlineFromEnv: boolean;
  /** The config files read (for messages naming where a setting may go). */
  fileLabels: string[];
}

export function readCometSettings(
  params: CometConnectionParams & { workspace?: string; projectName?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): CometSettings {
  const paths = cometConfigFiles(env, cwd);
  const files: SettingsFile[] = readSettingsFiles(paths, 'CometTracker');
  const apiKey = findSetting({ ...COMET_SPECS.apiKey, param: ['apiKey', params.apiKey] }, files, env);
  rememberSecret(apiKey?.value);
  const online = env.COMET_START_ONLINE?.trim().toLowerCase();
  const url = findSetting({ ...COMET_SPECS.url, param: ['url', params.url] }, files, env);
  return {
    apiKey,
    workspace: findSetting({ ...COMET_SPECS.workspace, param: ['workspace', params.workspace] }, files, env),
    projectName: findSetting({ ...COMET_SPECS.projectName, param: ['projectName', params.projectName] }, files, env),
    server: cometServer(url),
    serverSource: url?.source,
    offlineFromEnv: online === '0' || online === 'false' || online === 'no' || online === 'off',
    fileLabels: ['./.comet.config', env.COMET_CONFIG?.trim() ? 'the file COMET_CONFIG names' : '~/.comet.config'],
  };
}

/** The error of a setting Comet needs and that is set nowhere: which one, and every way to set it. */
export function missingSetting(
  what: string,
  param: string,
  spec: SettingSpec,
  settings: Pick<CometSettings, 'fileLabels'>,
): GymnosError {
  const hint = settingHint({ ...spec, param: [param, undefined] }, settings.fileLabels);
  return new GymnosError(
    `COMET_NO_${param.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`,
    `CometTracker: no ${what}: ${hint}`,
    { details: { variable: spec.env?.[0] } },
  );
}
