/** Keys whose values are secrets wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'secret',
  'appSecret',
  'session_key',
  'sessionKey',
  'access_token',
  'accessToken',
  'staleToken',
  'token',
  'apiKey',
  'password',
  'authorization',
  'cookie',
  'js_code',
  'pushToken',
  'encodingAesKey',
] as const;

/** pino redact paths for SECRET_KEYS at the top level and up to three levels down. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);

const SECRET_QUERY_PARAMS = new Set(['access_token', 'secret', 'appsecret', 'js_code', 'token']);

/** A URL or path with the values of secret query parameters replaced, safe to log. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) {
      params.set(key, '[Redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, queryStart)}?${params.toString()}` : url;
}
