import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, hostSchema, localUrl, parseEnvironment } from './index.js';

const schema = z.object({ HOST: hostSchema });

describe('HOST', () => {
  it('is 127.0.0.1 unless set: this machine only', () => {
    expect(parseEnvironment(schema, {}).HOST).toBe('127.0.0.1');
    expect(parseEnvironment(schema, { HOST: '' }).HOST).toBe('127.0.0.1');
  });

  it('takes any address to listen on', () => {
    for (const host of ['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'api.internal']) {
      expect(parseEnvironment(schema, { HOST: host }).HOST).toBe(host);
    }
  });

  it('rejects what is not an address, saying what it expects', () => {
    expect(() => parseEnvironment(schema, { HOST: 'http://0.0.0.0:3000' })).toThrow(ConfigError);
    expect(() => parseEnvironment(schema, { HOST: 'http://0.0.0.0:3000' })).toThrow(/HOST: .*0\.0\.0\.0/);
  });
});

describe('localUrl', () => {
  it('reaches a server on every interface through the loopback address', () => {
    expect(localUrl('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('0.0.0.0', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('::', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('fd00::5', 3000)).toBe('http://[fd00::5]:3000');
    expect(localUrl('api.internal', 3000)).toBe('http://api.internal:3000');
  });
});
