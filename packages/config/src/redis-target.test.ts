import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnvironment, redisClusterNodesSchema } from './index.js';

const schema = z.object({ REDIS_CLUSTER_NODES: redisClusterNodesSchema.optional() });
const parse = (value: string) => parseEnvironment(schema, { REDIS_CLUSTER_NODES: value }).REDIS_CLUSTER_NODES;

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: minapush uses the single server of REDIS_URL', () => {
    expect(parseEnvironment(schema, {}).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('takes host:port entries and URLs, with one login and one scheme for every node', () => {
    expect(parse('127.0.0.1:7000,127.0.0.1:7001 , [::1]:7002')).toEqual({
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
    expect(parse('rediss://ops:p%40ss@a.example:6380,rediss://ops:p%40ss@b.example:6380')).toEqual({
      nodes: [
        { host: 'a.example', port: 6380 },
        { host: 'b.example', port: 6380 },
      ],
      username: 'ops',
      password: 'p@ss',
      tls: true,
    });
  });

  it('refuses entries without a port, mixed logins, and says why without echoing a password', () => {
    for (const bad of [
      '10.0.0.1',
      'redis://10.0.0.1',
      ',',
      'redis://:one@a:1,redis://:two@b:1',
      'a:1,rediss://b:1',
    ]) {
      expect(() => parse(bad)).toThrow(ConfigError);
    }
    try {
      parse('redis://:topsecret@a:1,redis://:other@b:1');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/REDIS_CLUSTER_NODES: every node must have the same/);
      expect((error as Error).message).not.toContain('topsecret');
    }
  });
});
