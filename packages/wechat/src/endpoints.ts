/**
 * The WeChat calls this client makes, named as the sandbox's fault API names them. Errors carry
 * this name instead of the URL, whose query holds the secret, the access_token or the login code.
 */
export type WechatEndpoint =
  | 'token'
  | 'stable_token'
  | 'jscode2session'
  | 'template_send'
  | 'subscribe_send'
  | 'template_list'
  | 'quota_get';

export const WECHAT_ENDPOINT_PATHS: Readonly<Record<WechatEndpoint, string>> = {
  token: '/cgi-bin/token',
  stable_token: '/cgi-bin/stable_token',
  jscode2session: '/sns/jscode2session',
  template_send: '/cgi-bin/message/wxopen/template/send',
  subscribe_send: '/cgi-bin/message/subscribe/send',
  template_list: '/wxaapi/newtmpl/gettemplate',
  quota_get: '/cgi-bin/openapi/quota/get',
};

/** Endpoints that authenticate with the app secret rather than an access_token. */
export const CREDENTIAL_ENDPOINTS: ReadonlySet<WechatEndpoint> = new Set([
  'token',
  'stable_token',
  'jscode2session',
]);
