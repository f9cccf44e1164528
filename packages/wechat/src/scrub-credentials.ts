const MAX_ERRMSG_LENGTH = 300;

/**
 * WeChat's errmsg with every credential of the call (secret, token, login code) cut out, raw or
 * URL-encoded either way, and capped in length: the errmsg ends up in error messages and logs.
 */
export function scrubCredentials(text: string, credentials: readonly string[]): string {
  let scrubbed = text;
  for (const credential of credentials) {
    if (credential.length === 0) continue;
    const formEncoded = new URLSearchParams({ c: credential }).toString().slice(2);
    const jsonEscaped = JSON.stringify(credential).slice(1, -1);
    for (const form of new Set([credential, encodeURIComponent(credential), formEncoded, jsonEscaped])) {
      scrubbed = scrubbed.split(form).join('[redacted]');
    }
  }
  return scrubbed.length > MAX_ERRMSG_LENGTH ? `${scrubbed.slice(0, MAX_ERRMSG_LENGTH)}…` : scrubbed;
}
