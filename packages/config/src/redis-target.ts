import { z } from 'zod';

/** A Redis Cluster: the nodes to start from (it finds the others) and how to log in to every node. */
export interface RedisClusterTarget {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** `rediss://` nodes: TLS to every node */
  tls: boolean;
}

/** Where minapush's Redis is: a single server's URL (`REDIS_URL`), or a cluster (`REDIS_CLUSTER_NODES`). */
export type RedisTarget = string | RedisClusterTarget;

export const REDIS_CLUSTER_NODES_HINT =
  'comma-separated cluster nodes, host:port or redis://[user:password@]host:port (rediss:// for TLS), e.g. 10.0.0.1:7000,10.0.0.2:7000';

/**
 * `REDIS_CLUSTER_NODES`: some nodes of a Redis Cluster, `host:port` or a `redis://` / `rediss://`
 * URL each. Every node shares one login and one scheme, since the cluster hands out the addresses
 * of the others, which are reached with the same settings.
 */
export const redisClusterNodesSchema = z.string().transform((raw, ctx): RedisClusterTarget => {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const parsed: URL[] = [];
  for (const entry of entries) {
    const url = URL.canParse(entry) && /^rediss?:\/\//.test(entry) ? new URL(entry) : undefined;
    const bare = url ? undefined : URL.canParse(`redis://${entry}`) ? new URL(`redis://${entry}`) : undefined;
    const node = url ?? bare;
    // entries are not echoed: a URL may carry the password
    if (!node?.hostname || !node.port || (bare && (bare.username || bare.password))) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${parsed.length + 1} is not host:port or redis://host:port`,
      });
      return z.NEVER;
    }
    parsed.push(node);
  }
  if (parsed.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'names no node' });
    return z.NEVER;
  }
  const login = (url: URL) => [url.protocol, url.username, url.password].join('\u0000');
  if (new Set(parsed.map(login)).size > 1) {
    ctx.addIssue({ code: 'custom', message: 'every node must have the same scheme, user and password' });
    return z.NEVER;
  }
  const first = parsed[0] as URL;
  return {
    nodes: parsed.map((url) => ({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) })),
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    tls: first.protocol === 'rediss:',
  };
});

/**
 * The BullMQ prefix, and so the start of every key of ours (`redisKeys`), on a Redis Cluster: a
 * hash tag, `{minapush}`, so that every key lands in one slot. BullMQ's Lua scripts touch several
 * keys of a queue at once, and so do our MGETs and pipelines; a cluster refuses any of them
 * (CROSSSLOT) when the keys hash to different slots. A single server keeps the plain prefix, so
 * the keys of a running deployment do not move.
 */
export function clusterQueuePrefix(prefix: string): string {
  return `{${prefix}}`;
}
