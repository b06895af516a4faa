/**
 * The one credential redaction of gymnos: whatever it prints, stores or puts in an error (a tracking URI, a
 * message quoting one, a JSON document) goes through `redactCredentials` first. It removes the user and password
 * of every URL (`http://alice:s3cret@host` → `http://host`), also in a URL too broken to parse (a bad port, a
 * wrong scheme), and masks the value of every query parameter whose name says it is a secret
 * (`?token=…`, `access_token`, `api_key`, `password`, `sig`…) as `***`.
 */

/** Query parameter names whose values are secrets (matched anywhere in the name, any case). */
const SECRET_NAME = /token|secret|passw|pwd|key|auth|sig|credential|session/i;

/** `scheme://user:password@` or `scheme://user@`: the user information of a URL, however broken the rest. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"'<>@]*@/gi;

/** `user:password@host` without a scheme (a URI given without `http://`). */
const BARE_USER_INFO = /(^|[\s"'(=])[^\s"'()/:@=]+:[^\s"'()/@]*@(?=[^\s"'@]+)/g;

/** A query parameter (`?name=value` or `&name=value`). */
const QUERY_PARAMETER = /([?&;])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g;

export function redactCredentials(text: string): string {
  return text
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
