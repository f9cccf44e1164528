import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnvironment, quietHoursSchema, wechatAppsSchema } from './index.js';

const issues = (value: unknown) => {
  const result = quietHoursSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('quietHoursSchema', () => {
  it('reads China time unless a zone is named, and names zones by their IANA name', () => {
    expect(quietHoursSchema.parse({ start: '22:00', end: '08:00' })).toEqual({
      start: '22:00',
      end: '08:00',
      timezone: 'Asia/Shanghai',
    });
    expect(quietHoursSchema.parse({ start: '00:00', end: '23:59', timezone: 'europe/berlin' })).toEqual({
      start: '00:00',
      end: '23:59',
      timezone: 'Europe/Berlin',
    });
    expect(quietHoursSchema.parse({ start: '12:00', end: '13:30', timezone: 'PRC' }).timezone).toBe(
      'Asia/Shanghai',
    );
  });

  it('refuses times that are not HH:MM on a 24-hour clock, naming the field', () => {
    for (const bad of ['24:00', '7:00', '07:60', '07:00:00', '', ' 07:00', '07h00', 700]) {
      const found = issues({ start: bad, end: '08:00' });
      expect(found, String(bad)).toHaveLength(1);
      expect(found[0]).toMatch(/^start: .*HH:MM/);
    }
    expect(issues({ start: '22:00', end: '8:00' })[0]).toMatch(/^end: /);
  });

  it('refuses a zone Intl does not know, and says what to write instead', () => {
    for (const timezone of ['Mars/Olympus', '+08:00', '', 'Europe/Berlin\n', 'x'.repeat(65)]) {
      const found = issues({ start: '22:00', end: '08:00', timezone });
      expect(found, timezone).toHaveLength(1);
      expect(found[0]).toMatch(/^timezone: /);
    }
    expect(issues({ start: '22:00', end: '08:00', timezone: 'Mars/Olympus' })[0]).toContain('Asia/Shanghai');
  });

  it('refuses a window that starts where it ends, and unknown fields', () => {
    expect(issues({ start: '22:00', end: '22:00' })).toEqual([
      'end: must differ from start: a window from a time to itself is empty (or the whole day)',
    ]);
    expect(issues({ start: '22:00', end: '08:00', timeZone: 'UTC' })).toHaveLength(1);
    expect(issues({ start: '22:00' })[0]).toMatch(/^end: /);
  });
});

describe('WECHAT_APPS quietHours', () => {
  const schema = z.object({ WECHAT_APPS: wechatAppsSchema });

  it('is optional, and parsed like a broadcast quietHours', () => {
    const [plain, quiet] = parseEnvironment(schema, {
      WECHAT_APPS: JSON.stringify([
        { appId: 'wx-a', secret: 's' },
        { appId: 'wx-b', secret: 's', quietHours: { start: '21:30', end: '07:00' } },
      ]),
    }).WECHAT_APPS;
    expect(plain?.quietHours).toBeUndefined();
    expect(quiet?.quietHours).toEqual({ start: '21:30', end: '07:00', timezone: 'Asia/Shanghai' });
  });

  it('stops the start-up with the app and field named when it is wrong', () => {
    const parse = () =>
      parseEnvironment(schema, {
        WECHAT_APPS: JSON.stringify([
          { appId: 'wx-a', secret: 's', quietHours: { start: '22:00', end: '08:00', timezone: 'Moon/Base' } },
        ]),
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/WECHAT_APPS.*0.*quietHours.*timezone/s);
  });
});
