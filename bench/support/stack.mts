import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { RunContext } from './context.mjs';
import { expectJson, requestJson, waitFor, waitForReady } from './http.mjs';
import { say } from './log.mjs';
import type { ChildApp } from './processes.mjs';
import { type AppName, appMain, root } from './services.mjs';

export const TEMPLATE_ID = 'bench-template';
export const SUBSCRIBE_TEMPLATE_ID = 'bench-subscribe';
/** WeChat's own ceiling for an app's send rate: high enough that the rate cap never binds here. */
const SEND_RATE_PER_SECOND = 100_000;

export interface SandboxAppCredentials {
  appId: string;
  secret: string;
}

/** A free TCP port on 127.0.0.1, for an app that must be told its port (to poll its /readyz). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * The Node.js flags an app's own `start` script runs it with (`node <flags> dist/main.js`), so
 * that the bench measures the apps as `npm start` runs them (the dispatcher's heap settings).
 */
function startFlags(app: AppName): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'apps', app, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (manifest.scripts?.start ?? '').split(/\s+/);
  return words[0] === 'node' ? words.slice(1).filter((word) => word.startsWith('--')) : [];
}

function startApp(
  ctx: RunContext,
  app: AppName,
  label: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildApp {
  return ctx.registry.start(label, process.execPath, [...startFlags(app), ...nodeArgs, appMain(app)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
}

export interface StackOptions {
  /** the ingest API (broadcasts, messages, formIds, the token) */
  ingest?: boolean;
  /** how many dispatcher processes */
  dispatchers?: number;
  /** the token refresher, as in production */
  refresher?: boolean;
  /** start the dispatchers with --cpu-prof into ctx.profileDir, files named `<profileName>-<n>` */
  profileName?: string;
}

/**
 * The sandbox with one bench app, and the minapush apps asked for, as child processes from their
 * built dist/main.js. The sandbox app exists before the other apps start: they learn its appId
 * and secret from WECHAT_APPS.
 */
export class Stack {
  private constructor(
    readonly sandbox: ChildApp,
    readonly sandboxUrl: string,
    readonly app: SandboxAppCredentials,
    readonly apiUrl: string | undefined,
    readonly dispatchers: ChildApp[],
    private readonly others: ChildApp[],
    readonly profiles: string[],
  ) {}

  static async start(ctx: RunContext, options: StackOptions = {}): Promise<Stack> {
    const check = () => ctx.registry.check();
    const sandboxPort = await freePort();
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const sandbox = startApp(ctx, 'wechat-sandbox', 'sandbox', { SANDBOX_PORT: String(sandboxPort) });
    const others: ChildApp[] = [];
    const dispatchers: ChildApp[] = [];
    try {
      // Any JSON answer means it listens; an unknown app answers 404.
      await waitFor(
        async () => ((await requestJson(`${sandboxUrl}/__sandbox/apps/-`)).status === 404 ? true : undefined),
        { what: 'the sandbox to listen', timeoutMs: 30_000, intervalMs: 100, check },
      );
      const app = await expectJson<SandboxAppCredentials>(`${sandboxUrl}/__sandbox/apps`, 201, {
        body: {
          templates: [
            { id: TEMPLATE_ID, kind: 'template' },
            { id: SUBSCRIBE_TEMPLATE_ID, kind: 'subscribe' },
          ],
        },
      });

      const shared = {
        DATABASE_URL: ctx.services.databaseUrl,
        REDIS_URL: ctx.services.redisUrl,
        WECHAT_API_BASE_URL: sandboxUrl,
        WECHAT_APPS: JSON.stringify([
          {
            appId: app.appId,
            secret: app.secret,
            tokenMode: 'stable',
            sendRatePerSecond: SEND_RATE_PER_SECOND,
          },
        ]),
        API_KEYS: ctx.apiKey,
        SESSION_SECRET: ctx.sessionSecret,
        QUEUE_PREFIX: ctx.queuePrefix,
      };
      const readiness: Promise<unknown>[] = [];
      let apiUrl: string | undefined;
      if (options.ingest) {
        const port = await freePort();
        apiUrl = `http://127.0.0.1:${port}`;
        others.push(startApp(ctx, 'ingest-api', 'ingest-api', { ...shared, PORT: String(port) }));
        readiness.push(waitForReady(`${apiUrl}/readyz`, 'ingest-api /readyz', check));
      }
      if (options.refresher) {
        const port = await freePort();
        others.push(
          startApp(ctx, 'token-refresher', 'token-refresher', {
            ...shared,
            TOKEN_REFRESHER_PORT: String(port),
          }),
        );
        readiness.push(waitForReady(`http://127.0.0.1:${port}/readyz`, 'token-refresher /readyz', check));
      }
      const profiles: string[] = [];
      for (let n = 1; n <= (options.dispatchers ?? 0); n += 1) {
        // A known port rather than 0: /readyz is how we know it is up.
        const port = await freePort();
        const nodeArgs: string[] = [];
        if (options.profileName && ctx.profileDir) {
          const file = `${options.profileName}-${n}.cpuprofile`;
          nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${file}`);
          profiles.push(path.join(ctx.profileDir, file));
        }
        const label = `dispatcher-${n}`;
        dispatchers.push(
          startApp(ctx, 'dispatcher', label, { ...shared, DISPATCHER_PORT: String(port) }, nodeArgs),
        );
        readiness.push(waitForReady(`http://127.0.0.1:${port}/readyz`, `${label} /readyz`, check));
      }
      await Promise.all(readiness);
      const started = [
        'sandbox',
        ...others.map((child) => child.name),
        ...dispatchers.map((child) => child.name),
      ];
      say('stack', `up: ${started.join(', ')}`);
      return new Stack(sandbox, sandboxUrl, app, apiUrl, dispatchers, others, profiles);
    } catch (error) {
      await Promise.all([...dispatchers, ...others].map((child) => child.stop()));
      await sandbox.stop();
      throw error;
    }
  }

  /** The sandbox's control API for this app. */
  sandboxControl(pathname = ''): string {
    return `${this.sandboxUrl}/__sandbox/apps/${this.app.appId}${pathname}`;
  }

  api(pathname: string): string {
    if (!this.apiUrl) throw new Error('this stack runs no ingest-api');
    return `${this.apiUrl}${pathname}`;
  }

  /** A fresh access token straight from the sandbox, as a team without minapush would fetch it. */
  async stableToken(): Promise<string> {
    const answer = await expectJson<{ access_token?: string; errcode?: number }>(
      `${this.sandboxUrl}/cgi-bin/stable_token`,
      200,
      { body: { grant_type: 'client_credential', appid: this.app.appId, secret: this.app.secret } },
    );
    if (!answer.access_token) throw new Error(`the sandbox gave no token: ${JSON.stringify(answer)}`);
    return answer.access_token;
  }

  /** Stops the minapush apps first (they may still call the sandbox), the sandbox last. */
  async stop(): Promise<void> {
    await Promise.all([...this.dispatchers, ...this.others].map((child) => child.stop()));
    await this.sandbox.stop();
  }
}

export const newApiKey = () => `bench-${randomUUID()}`;
