import { leaseMessages } from '@minapush/db';
import { type RunResult, type SendResources, sendLeased } from './send-run.js';

/**
 * The transactional lane's use case: sends one single message (an order notification). Three
 * statements: the lease with its history and credit claim, the attempt, the outcome.
 */
export async function sendSingleMessage(
  r: SendResources,
  messageId: string,
  options: { lastAttempt: boolean; signal?: AbortSignal },
): Promise<RunResult | undefined> {
  const lease = await leaseMessages(
    r.db,
    { messageId },
    {
      owner: r.settings.owner,
      leaseMs: r.settings.leaseMs,
      creditValidFrom: new Date(r.now() + r.settings.creditExpiryMarginMs),
    },
  );
  if (lease.messages.length === 0) return undefined;
  return sendLeased(r, lease, {
    lane: 'transactional',
    lastAttempt: options.lastAttempt,
    concurrency: 1,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
