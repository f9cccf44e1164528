import { createLogger, type Logger, redactUrl } from '@minapush/logger';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import { wechatBodyErrorHandler } from './http/wechat-body.js';
import { controlRoutes } from './routes/control.js';
import { loginRoutes } from './routes/login.js';
import { messageRoutes } from './routes/messages.js';
import { templateRoutes } from './routes/templates.js';
import { tokenRoutes } from './routes/token.js';
import type { SandboxApp } from './state/app-state.js';
import { SandboxState } from './state/sandbox-state.js';
import { wechatFailure } from './wechat-errors.js';

export interface DemoAppCredentials {
  appId: string;
  secret: string;
}

export interface CreateSandboxOptions {
  /** request and error logs; silent when absent */
  logger?: Logger;
  /** the base clock every app's own clock is offset from (default `Date.now`) */
  now?: () => number;
  /** the dice that faults with a `probability` roll (default `Math.random`) */
  random?: () => number;
  /** an app to create at start, with the demo templates, for running minapush by hand */
  demoApp?: DemoAppCredentials;
  /** how long a message push waits for the receiver's answer (WeChat's 5 s by default) */
  pushTimeoutMs?: number;
}

export interface Sandbox {
  app: Express;
  state: SandboxState;
  /** Stops the message pushes (queued ones cancelled, one in flight aborted) and waits for them. */
  close: () => Promise<void>;
}

export const DEMO_SUBSCRIBE_TEMPLATE_ID = 'demo-subscribe-order';
export const DEMO_LEGACY_TEMPLATE_ID = 'demo-template-order';

function createDemoApp(state: SandboxState, credentials: DemoAppCredentials): SandboxApp {
  return state.createApp({
    ...credentials,
    templates: [
      { id: DEMO_SUBSCRIBE_TEMPLATE_ID, kind: 'subscribe' },
      { id: DEMO_LEGACY_TEMPLATE_ID, kind: 'template' },
    ],
  });
}

interface LoggedRequest {
  id?: unknown;
  method?: string;
  url?: string;
}

/** The WeChat stand-in as an express app, with its whole state in memory. */
export function createSandbox(options: CreateSandboxOptions = {}): Sandbox {
  const logger = options.logger ?? createLogger({ name: 'wechat-sandbox', level: 'silent' });
  const state = new SandboxState({
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    pushTimeoutMs: options.pushTimeoutMs,
  });
  if (options.demoApp) createDemoApp(state, options.demoApp);

  const app = express();
  app.disable('x-powered-by');
  // WeChat sends no ETag, and hashing every answer for one costs the sandbox's CPU in benchmarks.
  app.set('etag', false);
  // Request logs are info-level lines; below that level the middleware would still cost a child
  // logger per request (a quarter of the sandbox's CPU under load), so it is left out.
  if (logger.isLevelEnabled('info')) {
    app.use(
      pinoHttp({
        logger,
        // pino-http would otherwise log the raw URL, which carries secrets, access_tokens and codes.
        serializers: {
          req: (req: LoggedRequest) => ({ id: req.id, method: req.method, url: redactUrl(req.url ?? '') }),
          res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        },
      }),
    );
  }
  app.use(
    tokenRoutes(state),
    loginRoutes(state),
    messageRoutes(state),
    templateRoutes(state),
    wechatBodyErrorHandler,
  );
  app.use('/__sandbox', controlRoutes(state));

  app.use((req: Request, res: Response) => {
    res.status(404).json({
      error: { code: 'not_found', message: `No route ${req.method} ${req.path}; see docs/sandbox.md.` },
    });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: error, path: req.path }, 'sandbox request failed');
    if (req.path.startsWith('/__sandbox')) {
      res.status(500).json({ error: { code: 'internal', message: 'The sandbox failed; see its log.' } });
    } else {
      res.json(wechatFailure(-1));
    }
  });

  return { app, state, close: () => state.close() };
}
