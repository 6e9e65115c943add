/** Where a backend's data lives, for `info()` and messages: a URL with no secret in it. */

/** Query parameters whose values are secrets: `password`, `auth`, `token`, `access_token`, `api_key`, `secret`, `sig`, … */
const SECRET_PARAMETER = /pass|secret|token|auth|key|cred|sig/i;

/** `scheme://`: a URL whose credentials, if any, are where URL parsing finds them. */
const WITH_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * `url` without what would let a reader of a message or a report connect: the user name and
 * password, query parameters that carry a secret (`?password=…`, `?token=…`), and the fragment.
 * A trailing `/` goes too, so `redis://host:6379/` reads `redis://host:6379`. Undefined when
 * `url` is not a URL with an authority (`scheme://…`): nothing of it is shown then, since
 * `user:password@host` would parse as a scheme and a path, the password in plain sight.
 *
 * @example
 * withoutCredentials('rediss://user:pw@cache:6380/?token=abc&db=2') // 'rediss://cache:6380/?db=2'
 */
export function withoutCredentials(url: string): string | undefined {
  if (!WITH_AUTHORITY.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  const secrets = [...parsed.searchParams.keys()].filter((name) => SECRET_PARAMETER.test(name));
  for (const name of secrets) parsed.searchParams.delete(name);
  return parsed.toString().replace(/\/$/, '');
}
