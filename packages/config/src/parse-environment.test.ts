import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, commonEnvironmentShape, parseEnvironment, wechatAppsSchema } from './index.js';

const schema = z.object({ ...commonEnvironmentShape, WECHAT_APPS: wechatAppsSchema });

describe('parseEnvironment', () => {
  it('applies defaults and parses WECHAT_APPS', () => {
    const config = parseEnvironment(schema, {
      WECHAT_APPS: '[{"appId":"wxa","secret":"s1"},{"appId":"wxb","secret":"s2","tokenMode":"classic"}]',
      LOG_LEVEL: '',
    });
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.WECHAT_APPS.map((a) => [a.appId, a.tokenMode])).toEqual([
      ['wxa', 'stable'],
      ['wxb', 'classic'],
    ]);
  });

  it('names every bad variable without echoing secret values', () => {
    const attempt = () =>
      parseEnvironment(schema, {
        WECHAT_APPS: '[{"appId":"wxa","secret":"topsecret"},{"appId":"wxa","secret":"topsecret"}]',
        REDIS_URL: 'not a url',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('REDIS_URL');
      expect(message).toContain('WECHAT_APPS');
      expect(message).toContain('twice');
      expect(message).not.toContain('topsecret');
    }
  });

  it('rejects WECHAT_APPS that is not JSON', () => {
    expect(() => parseEnvironment(schema, { WECHAT_APPS: '{oops' })).toThrow(
      /WECHAT_APPS: is not valid JSON/,
    );
  });
});
