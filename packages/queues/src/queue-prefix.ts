/** BullMQ key prefix of a deployment; tests use their own so they never see each other's jobs. */
export const DEFAULT_QUEUE_PREFIX = 'minapush';
