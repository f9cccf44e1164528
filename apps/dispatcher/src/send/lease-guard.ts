import { type Database, extendLease, type SendLease } from '@minapush/db';

export interface LeaseGuardOptions {
  db: Database;
  leaseMs: number;
  /** the longest a call can take to leave: a lease with less than this left is not trusted */
  callTimeoutMs: number;
}

/**
 * Says, right before each WeChat call, whether the run still certainly holds the message's lease,
 * extending the lease first (one statement for every message the run still holds) when little of
 * it is left. A run that froze past its lease finds here that its messages were taken over, and
 * calls WeChat for none of them.
 */
export function createLeaseGuard(options: LeaseGuardOptions, lease: SendLease) {
  const margin = options.callTimeoutMs;
  // Extend a while before the margin is reached, but not before every call of a short lease.
  const extendBelow = Math.max(margin, Math.min(2 * margin, options.leaseMs / 2));
  const held = new Set(lease.messages.map((message) => message.id));
  let heldUntil = lease.heldUntil;
  let extending: Promise<void> | undefined;
  let lost = 0;
  const certainlyHeld = (messageId: string) => held.has(messageId) && Date.now() + margin < heldUntil;

  async function extend(): Promise<void> {
    const ids = [...held];
    const extended = await extendLease(options.db, lease.token, ids, options.leaseMs);
    for (const id of ids) {
      if (!extended.held.has(id) && held.delete(id)) lost += 1;
    }
    heldUntil = extended.heldUntil;
  }

  return {
    /** true when WeChat may be called for this message now */
    async mayCall(messageId: string): Promise<boolean> {
      if (!held.has(messageId)) return false;
      if (Date.now() + extendBelow >= heldUntil) {
        extending ??= extend().finally(() => {
          extending = undefined;
        });
        await extending;
      }
      return certainlyHeld(messageId);
    },
    /**
     * Synchronous: whether the lease is certainly held right now. Asked again as the request is
     * written (see callWechat), after `mayCall` had its chance to extend it.
     */
    stillHeld: certainlyHeld,
    /** the message is settled: the lease need not be extended for it any more */
    release(messageId: string): void {
      held.delete(messageId);
    },
    /** messages found taken over by another run */
    get lost(): number {
      return lost;
    },
  };
}

export type LeaseGuard = ReturnType<typeof createLeaseGuard>;
