import { describe, expect, it } from 'vitest';
import { wechatAppsSchema } from './index.js';

const app = { appId: 'wx0123456789abcdef', secret: 's' };
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function parse(extra: Record<string, unknown>) {
  return wechatAppsSchema.safeParse(JSON.stringify([{ ...app, ...extra }]));
}

describe('WECHAT_APPS push settings', () => {
  it('takes a pushToken of 3 to 32 letters or digits and a 43-character encodingAesKey', () => {
    const parsed = parse({ pushToken: 'abc123', encodingAesKey: KEY });
    expect(parsed.success && parsed.data[0]).toMatchObject({ pushToken: 'abc123', encodingAesKey: KEY });
    expect(parse({}).success).toBe(true);
    expect(parse({ pushToken: 'A'.repeat(32) }).success).toBe(true);
  });

  it('refuses what the console would not take, without echoing the value', () => {
    for (const extra of [
      { pushToken: 'ab' },
      { pushToken: 'A'.repeat(33) },
      { pushToken: 'has space' },
      { encodingAesKey: KEY.slice(1) },
      { encodingAesKey: `${KEY.slice(1)}=` },
    ]) {
      const parsed = parse(extra);
      expect(parsed.success).toBe(false);
      const value = Object.values(extra)[0] as string;
      expect(JSON.stringify(parsed.error?.issues)).not.toContain(value);
    }
  });
});
