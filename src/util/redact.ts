/**
 * The one credential redaction of gymnos: whatever it prints, stores or puts in an error (a tracking URI, a
 * message quoting one, a JSON document) goes through `redactCredentials` first. It removes the user and password
 * of every URL (`http://alice:s3cret@host` → `http://host`), also in a URL too broken to parse (a bad port, a
 * wrong scheme), and masks the value of every query parameter whose name says it is a secret
 * (`?token=…`, `access_token`, `api_key`, `password`, `sig`…) as `***`. A credential that travels in no URL (an
 * API key sent in a header: Comet's, W&B's) is told to it once with `rememberSecret`, and then masked wherever it
 * appears (a server's error message quoting it, a config value printed back).
 */

/** Query parameter names whose values are secrets (matched anywhere in the name, any case). */
const SECRET_NAME = /token|secret|passw|pwd|key|auth|sig|credential|session/i;

/** `scheme://user:password@` or `scheme://user@`: the user information of a URL, however broken the rest. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"'<>@]*@/gi;

/** `user:password@host` without a scheme (a URI given without `http://`). */
const BARE_USER_INFO = /(^|[\s"'(=])[^\s"'()/:@=]+:[^\s"'()/@]*@(?=[^\s"'@]+)/g;

/** A query parameter (`?name=value` or `&name=value`). */
const QUERY_PARAMETER = /([?&;])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g;

/** Shorter values are not masked: they would mask ordinary words. */
const MIN_SECRET_LENGTH = 8;

/**
 * The secrets told to `rememberSecret`, shared by every copy of this module in the process (each CLI command is
 * bundled on its own, and a tracker may be loaded from another copy of gymnos).
 */
const SECRETS_KEY = Symbol.for('gymnos.redact.secrets');
function rememberedSecrets(): Set<string> {
  const holder = globalThis as { [SECRETS_KEY]?: Set<string> };
  return (holder[SECRETS_KEY] ??= new Set());
}

/** From now on `redactCredentials` masks `secret` (an API key sent in a header) as `***` wherever it appears. */
export function rememberSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) rememberedSecrets().add(secret);
}

export function redactCredentials(text: string): string {
  let masked = text;
  for (const secret of rememberedSecrets()) if (masked.includes(secret)) masked = masked.replaceAll(secret, '***');
  return masked
    .replace(USER_INFO, '$1')
    .replace(BARE_USER_INFO, '$1')
    .replace(QUERY_PARAMETER, (whole: string, separator: string, name: string, value: string) =>
      value !== '' && SECRET_NAME.test(decodeName(name)) ? `${separator}${name}=***` : whole,
    );
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch (error) {
    if (error instanceof URIError) return name;
    throw error;
  }
}
