import type { AddressInfo } from 'node:net';
import { loadConfigOrExit, localUrl } from '@minapush/config';
import { createLogger } from '@minapush/logger';
import { loadConfig } from './config.js';
import { createSandbox } from './create-sandbox.js';

const config = loadConfigOrExit('wechat-sandbox', loadConfig);
const logger = createLogger({ name: 'wechat-sandbox', level: config.LOG_LEVEL });
const sandbox = createSandbox({ logger, demoApp: config.SANDBOX_DEMO_APP });

// express 5 calls back with the error too (the 'error' listener below reports it)
const server = sandbox.app.listen(config.SANDBOX_PORT, config.HOST, (error?: Error) => {
  if (error) return;
  const { port } = server.address() as AddressInfo;
  logger.info(
    { url: localUrl(config.HOST, port), demoAppId: config.SANDBOX_DEMO_APP?.appId },
    'WeChat sandbox listening',
  );
});

server.on('error', (error) => {
  logger.fatal({ err: error }, 'WeChat sandbox could not start');
  process.exitCode = 1;
});

function shutDown(signal: NodeJS.Signals): void {
  logger.info({ signal }, 'WeChat sandbox stopping');
  server.close(() => {
    // Pending message pushes are cancelled, not delivered: a stopped WeChat pushes nothing.
    void sandbox.close().then(() => process.exit(0));
  });
  // Keep-alive connections would hold close() open; the sandbox has nothing else to drain.
  server.closeAllConnections();
}

process.once('SIGTERM', shutDown);
process.once('SIGINT', shutDown);
