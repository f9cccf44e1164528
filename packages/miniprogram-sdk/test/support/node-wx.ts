import type { WxRuntime } from '../../src/index.js';

/** Calls the sandbox's control API (`/__sandbox/apps/:appId…`) and answers its JSON. */
export function sandboxControl(sandboxUrl: string, appId: string) {
  return async function control<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${sandboxUrl}/__sandbox/apps/${appId}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`sandbox ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/**
 * The mini-program runtime of one user, in Node: `request` is real HTTP (fetch), `login` mints a
 * code for the user in the WeChat sandbox as WeChat would, `requestSubscribeMessage` has the user
 * accept the templates in the sandbox too, and storage is a Map that outlives clients.
 */
export class NodeWx implements WxRuntime {
  readonly storage = new Map<string, string>();
  /** requests made, as `METHOD path status` (or `… failed`) */
  readonly log: string[] = [];

  constructor(
    private readonly control: ReturnType<typeof sandboxControl>,
    readonly openid: string,
  ) {}

  login(options: Parameters<WxRuntime['login']>[0]): void {
    this.control<{ code: string }>('/codes', { openid: this.openid }).then(
      ({ code }) => options.success?.({ code }),
      (error: Error) => options.fail?.({ errMsg: `login:fail ${error.message}` }),
    );
  }

  request(options: Parameters<WxRuntime['request']>[0]): void {
    const path = new URL(options.url).pathname;
    const method = options.method ?? 'GET';
    fetch(options.url, {
      method,
      headers: options.header,
      body: typeof options.data === 'string' ? options.data : JSON.stringify(options.data),
      signal: AbortSignal.timeout(options.timeout ?? 10_000),
    })
      .then(async (response) => {
        const text = await response.text();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // wx hands over the text when it is not JSON
        }
        this.log.push(`${method} ${path} ${response.status}`);
        options.success?.({
          statusCode: response.status,
          data,
          header: Object.fromEntries(response.headers),
        });
      })
      .catch((error: Error) => {
        this.log.push(`${method} ${path} failed`);
        options.fail?.({ errMsg: `request:fail ${error.message}` });
      });
  }

  getStorageSync(key: string): unknown {
    const text = this.storage.get(key);
    return text === undefined ? '' : JSON.parse(text);
  }

  setStorageSync(key: string, data: unknown): void {
    this.storage.set(key, JSON.stringify(data));
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }

  requestSubscribeMessage(options: Parameters<WxRuntime['requestSubscribeMessage']>[0]): void {
    Promise.all(
      options.tmplIds.map((templateId) =>
        this.control('/subscriptions', { openid: this.openid, templateId }),
      ),
    ).then(
      () => {
        const results: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' };
        for (const templateId of options.tmplIds) results[templateId] = 'accept';
        options.success?.(results);
      },
      (error: Error) =>
        options.fail?.({ errMsg: `requestSubscribeMessage:fail ${error.message}`, errCode: 20001 }),
    );
  }
}
