import { deploymentQueueNames, type Redis } from '@minapush/queues';
import { Queue } from 'bullmq';

/**
 * The queues Bull Board shows: every queue of the deployment, made on the producer connection;
 * a queue the API already holds (`reuse`: the credit intake, the fan-out) is shown as it is.
 */
export function createBoardQueues(options: {
  connection: Redis;
  prefix: string;
  appIds: readonly string[];
  reuse: readonly Queue[];
}): Queue[] {
  return deploymentQueueNames(options.appIds).map((name) => {
    const held = options.reuse.find((queue) => queue.name === name);
    if (held) return held;
    const queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
    // Bull Board reads it on request; a Redis outage is answered there, not thrown here
    queue.on('error', () => undefined);
    return queue;
  });
}
