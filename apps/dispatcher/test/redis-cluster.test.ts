import { redisKeys } from '@minapush/queues';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  startDispatchHarness,
  waitFor,
} from './harness.js';
import { exited, spawnDispatcher, startRedisCluster } from './processes.js';

// minapush on a Redis Cluster of three masters: the API, the credit intake and a real dispatcher
// process (configured by REDIS_CLUSTER_NODES) run a broadcast through it. Without one hash tag
// over every key, BullMQ's scripts and our MGETs and pipelines fail with CROSSSLOT.
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let nodes: Redis[] = [];
let h: DispatchHarness | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
  nodes = cluster.ports.map((port) => new Redis(port, '127.0.0.1'));
}, 60_000);
afterAll(async () => {
  try {
    await h?.close();
  } finally {
    for (const node of nodes) node.disconnect();
    await cluster?.stop();
  }
});

type SlotRange = [from: number, to: number, master: [host: string, port: number, id: string]];
const node = (index: number) => nodes[index] as Redis;
const slotRanges = async () => (await node(0).call('CLUSTER', 'SLOTS')) as SlotRange[];

/** every key of ours, per cluster node: SCAN sees one node's keys only */
async function keysByNode(prefix: string): Promise<string[][]> {
  return Promise.all(
    nodes.map(async (node) => {
      const keys: string[] = [];
      for (let cursor = '0'; ; ) {
        const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
        keys.push(...found);
        cursor = next;
        if (cursor === '0') return keys;
      }
    }),
  );
}

describe('on a Redis Cluster', () => {
  it('a broadcast completes, each user gets exactly one message, and every key shares one slot', async () => {
    h = await startDispatchHarness({ dispatcher: false, redisClusterNodes: cluster.nodes });
    const harness = h;
    // a prefix with a hash tag, as the apps make it from QUEUE_PREFIX on a cluster
    expect(harness.prefix).toBe(`{${harness.prefixSetting}}`);

    // three masters, each serving slots
    const masters = new Set((await slotRanges()).map(([, , master]) => master[2]));
    expect(masters.size).toBe(3);

    // through the API: the credit intake's MGET and pipeline of several formId keys
    const handedOver = [await harness.userWithFormIds(3), await harness.userWithFormIds(2)];
    const seeded = await harness.seedUsersWithFormIds(300);
    const openids = [...handedOver.map((user) => user.openid), ...seeded];

    const output: string[] = [];
    // several batches, so several bulk jobs, leases and rate-limiter windows
    const dispatcher = spawnDispatcher(harness, output, { BATCH_SIZE: '50', BATCH_CONCURRENCY: '4' });
    try {
      await waitFor('the dispatcher to start', () => output.join('').includes('dispatcher started'));
      const created = await harness.api<{ id: string }>('POST', '/v1/broadcasts', {
        kind: 'template',
        templateId: LEGACY_TEMPLATE,
        data: { keyword1: 'from the cluster' },
        audience: { type: 'all' },
      });
      expect(created.status).toBe(202);
      const done = await waitFor(
        'the broadcast to complete',
        async () => {
          const view = (await harness.api<{ status: string }>('GET', `/v1/broadcasts/${created.body.id}`))
            .body;
          return view.status === 'completed' ? view : undefined;
        },
        120_000,
      );
      expect(done).toMatchObject({ total: openids.length, sent: openids.length, pending: 0 });
      const perUser = deliveriesPerUser(await harness.deliveries());
      expect(perUser.size).toBe(openids.length);
      for (const openid of openids) expect(perUser.get(openid)).toBe(1);
      expect(output.join('')).not.toContain('CROSSSLOT');

      // Every key of ours, BullMQ's and redisKeys', hashes to the hash tag's slot, so they all live
      // on the one master that owns it and none on the other two: that is what lets the scripts run.
      const tagSlot = Number(await node(0).call('CLUSTER', 'KEYSLOT', harness.prefix));
      const perNode = await keysByNode(harness.prefix);
      const owner = perNode.findIndex((keys) => keys.length > 0);
      expect(owner).toBeGreaterThanOrEqual(0);
      for (const [index, keys] of perNode.entries()) if (index !== owner) expect(keys).toEqual([]);
      const ours = perNode[owner] ?? [];
      const keys = redisKeys(harness.prefix);
      expect(ours).toContain(keys.token(harness.app.appId));
      expect(ours).toContain(keys.seenFormId(harness.app.appId, handedOver[0]?.formIds[0] ?? ''));
      expect(ours.some((key) => key.startsWith(`${harness.prefix}:message-bulk-`))).toBe(true);
      for (const key of ours) {
        expect(Number(await node(owner).call('CLUSTER', 'KEYSLOT', key))).toBe(tagSlot);
      }
      const ownerNodeId = String(await node(owner).call('CLUSTER', 'MYID'));
      const range = (await slotRanges()).find(([from, to]) => from <= tagSlot && tagSlot <= to);
      expect(range?.[2][2]).toBe(ownerNodeId);
    } finally {
      dispatcher.kill('SIGTERM');
      await exited(dispatcher);
    }
  }, 180_000);
});
