import { type BroadcastAudience, countBroadcastReach, type Database, type MessageKind } from '@minapush/db';

export interface BroadcastDryRun {
  /** users of the audience with a usable credit for it: the messages it would send */
  reachable: number;
  /** users of the audience without one: they would be recorded as `skipped` */
  unreachable: number;
  /** how long sending them would take at the app's sendRatePerSecond, rounded up */
  estimatedSeconds: number;
}

/**
 * POST /v1/broadcasts with `dryRun: true`: how many users the broadcast would reach now and how
 * long that would take, counted the way its fan-out decides (formIds and prepay_ids valid now for
 * a template message, an accepted subscription to the template for a subscribe message). Writes
 * nothing and queues nothing; an idempotencyKey in the request is not taken.
 */
export async function dryRunBroadcast(
  deps: { db: Database; now: () => Date },
  request: {
    appId: string;
    kind: MessageKind;
    templateId: string;
    audience: BroadcastAudience;
    sendRatePerSecond: number;
  },
): Promise<BroadcastDryRun> {
  const reach = await countBroadcastReach(deps.db, {
    appId: request.appId,
    kind: request.kind,
    templateId: request.templateId,
    audience: request.audience,
    creditValidFrom: deps.now(),
  });
  // every credit's user is recorded with it (the intake's rule), so the users with credits are
  // within the audience `all`; capped all the same, so that no answer counts fewer than 0 unreachable
  const reachable = Math.min(reach.reachable, reach.audience);
  return {
    reachable,
    unreachable: reach.audience - reachable,
    estimatedSeconds: Math.ceil(reachable / request.sendRatePerSecond),
  };
}
