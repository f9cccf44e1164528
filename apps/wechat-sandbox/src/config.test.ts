import { ConfigError } from '@minapush/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to 127.0.0.1, port 3900, info logs and no demo app', () => {
    expect(loadConfig({})).toEqual({ HOST: '127.0.0.1', SANDBOX_PORT: 3900, LOG_LEVEL: 'info' });
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });

  it('reads the demo app from SANDBOX_DEMO_APP', () => {
    const config = loadConfig({
      SANDBOX_PORT: '4000',
      SANDBOX_DEMO_APP: '{"appId":"wxdemo","secret":"s3cr3t"}',
    });
    expect(config.SANDBOX_PORT).toBe(4000);
    expect(config.SANDBOX_DEMO_APP).toEqual({ appId: 'wxdemo', secret: 's3cr3t' });
  });

  it('names every bad variable without echoing the secret', () => {
    const attempt = () =>
      loadConfig({ SANDBOX_PORT: '99999', SANDBOX_DEMO_APP: '{"appId":"","secret":"s3cr3t"}' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SANDBOX_PORT/);
    expect(attempt).toThrow(/SANDBOX_DEMO_APP\.appId/);
    expect(attempt).not.toThrow(/s3cr3t/);
    expect(() => loadConfig({ SANDBOX_DEMO_APP: '{oops' })).toThrow(/SANDBOX_DEMO_APP: is not valid JSON/);
  });
});
