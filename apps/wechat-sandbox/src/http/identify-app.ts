import type { SandboxApp } from '../state/app-state.js';
import type { SandboxState } from '../state/sandbox-state.js';
import { fail, succeed, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';

/** The app a credential call names by `appid` (41002 when absent, 40013 when unknown). */
export function appOfAppid(state: SandboxState, appid: string | undefined): WechatOutcome<SandboxApp> {
  if (appid === undefined) return fail(WechatErrcode.appidMissing);
  const app = state.findApp(appid);
  return app ? succeed(app) : fail(WechatErrcode.invalidAppid);
}

/**
 * The app a message call reaches through its access_token, even a replaced one (so that the app's
 * faults and quotas apply); 41001 when absent, 40001 when no app ever issued it.
 */
export function appOfAccessToken(
  state: SandboxState,
  token: string | undefined,
): WechatOutcome<{ app: SandboxApp; token: string }> {
  if (token === undefined) return fail(WechatErrcode.accessTokenMissing);
  const app = state.appOfToken(token);
  return app ? succeed({ app, token }) : fail(WechatErrcode.invalidCredential);
}
