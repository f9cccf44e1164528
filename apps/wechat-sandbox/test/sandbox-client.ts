import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CreateSandboxOptions, createSandbox, type Sandbox } from '../src/index.js';

export interface JsonReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the sandbox answered
  body: any;
}

/** A started sandbox on a free port, reached over real HTTP like minapush reaches WeChat. */
export interface RunningSandbox {
  baseUrl: string;
  sandbox: Sandbox;
  close: () => Promise<void>;
}

export async function startSandbox(options: CreateSandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = createSandbox(options);
  const server: Server = await new Promise((resolve) => {
    const listening = sandbox.app.listen(0, () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    sandbox,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sandbox.close();
    },
  };
}

async function toReply(response: Response): Promise<JsonReply> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (an injected HTTP status answers HTML, as a gateway would)
  }
  return { status: response.status, body };
}

export interface TestApp {
  appId: string;
  secret: string;
}

/** Talks to one sandbox: its WeChat endpoints with WeChat's exact names, and its control API. */
export class SandboxClient {
  constructor(readonly baseUrl: string) {}

  async get(path: string, init: RequestInit = {}): Promise<JsonReply> {
    return toReply(await fetch(`${this.baseUrl}${path}`, init));
  }

  async post(path: string, body: unknown, init: RequestInit = {}): Promise<JsonReply> {
    return toReply(
      await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...init,
      }),
    );
  }

  async delete(path: string): Promise<JsonReply> {
    return toReply(await fetch(`${this.baseUrl}${path}`, { method: 'DELETE' }));
  }

  async createApp(settings: Record<string, unknown> = {}): Promise<TestApp> {
    const reply = await this.post('/__sandbox/apps', settings);
    if (reply.status !== 201) throw new Error(`creating a sandbox app failed: ${JSON.stringify(reply.body)}`);
    return reply.body as TestApp;
  }

  control(appId: string, path: string, body?: unknown): Promise<JsonReply> {
    const url = `/__sandbox/apps/${appId}${path}`;
    return body === undefined ? this.get(url) : this.post(url, body);
  }

  async setClock(appId: string, move: { now: string } | { advanceMs: number }): Promise<void> {
    const reply = await this.control(appId, '/clock', move);
    if (reply.status !== 200) throw new Error(`moving the clock failed: ${JSON.stringify(reply.body)}`);
  }

  advance(appId: string, advanceMs: number): Promise<void> {
    return this.setClock(appId, { advanceMs });
  }

  classicToken(app: TestApp): Promise<JsonReply> {
    const query = new URLSearchParams({
      grant_type: 'client_credential',
      appid: app.appId,
      secret: app.secret,
    });
    return this.get(`/cgi-bin/token?${query}`);
  }

  stableToken(app: TestApp, forceRefresh = false): Promise<JsonReply> {
    return this.post('/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: app.appId,
      secret: app.secret,
      force_refresh: forceRefresh,
    });
  }

  /** A fresh classic access_token of the app, failing the test if WeChat would refuse one. */
  async accessToken(app: TestApp): Promise<string> {
    const reply = await this.classicToken(app);
    if (typeof reply.body?.access_token !== 'string')
      throw new Error(`no token: ${JSON.stringify(reply.body)}`);
    return reply.body.access_token;
  }

  subscribeSend(token: string, body: unknown): Promise<JsonReply> {
    return this.post(`/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, body);
  }

  templateSend(token: string, body: unknown): Promise<JsonReply> {
    return this.post(`/cgi-bin/message/wxopen/template/send?access_token=${encodeURIComponent(token)}`, body);
  }

  jscode2session(app: TestApp, code: string): Promise<JsonReply> {
    const query = new URLSearchParams({
      appid: app.appId,
      secret: app.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    return this.get(`/sns/jscode2session?${query}`);
  }

  async formIds(appId: string, openid: string, kind: 'form_id' | 'prepay_id' = 'form_id', count = 1) {
    const reply = await this.control(appId, '/form-ids', { openid, kind, count });
    return reply.body.formIds as { formId: string; kind: string; createdAt: string; expiresAt: string }[];
  }

  async subscribe(appId: string, openid: string, templateId: string, count = 1): Promise<number> {
    const reply = await this.control(appId, '/subscriptions', { openid, templateId, count });
    return reply.body.credits as number;
  }

  async deliveries(appId: string, query = ''): Promise<Record<string, unknown>[]> {
    const reply = await this.get(`/__sandbox/apps/${appId}/deliveries${query}`);
    return reply.body.deliveries;
  }
}
